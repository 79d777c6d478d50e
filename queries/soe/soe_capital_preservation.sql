-- id: soe_capital_preservation
-- title: 国有资本保值增值率低于100% | State capital not preserved
-- category: 流量
-- datasets: soe_finance
-- severity: 黄
-- params: min_pct = 100
-- key: enterprise_name
-- message: {subject}国有资本保值增值率{value}% | {subject}: state capital at {value}% of its opening value
-- description: Closing state capital over opening state capital (保值增值率).
SELECT coalesce(enterprise_code, enterprise_name) AS alert_key,
       enterprise_name AS subject,
       round(100.0 * CAST(state_capital AS DOUBLE) / CAST(state_capital_opening AS DOUBLE), 2) AS value,
       $min_pct AS expected,
       round(100.0 * CAST(state_capital AS DOUBLE) / CAST(state_capital_opening AS DOUBLE) - $min_pct, 2) AS difference,
       state_capital, state_capital_opening
FROM soe_finance
WHERE period = $period AND state_capital_opening > 0
  AND 100.0 * CAST(state_capital AS DOUBLE) / CAST(state_capital_opening AS DOUBLE) < $min_pct
