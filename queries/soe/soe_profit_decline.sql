-- id: soe_profit_decline
-- title: 国企利润大幅下降 | SOE profit falling sharply
-- category: 流量
-- datasets: soe_finance
-- severity: 黄
-- params: max_decline_pct = 20
-- key: enterprise_name
-- message: {subject}利润总额同比下降{value}% | {subject}: profit down {value}% year on year
SELECT coalesce(enterprise_code, enterprise_name) AS alert_key,
       enterprise_name AS subject,
       round(100.0 * CAST(prior_profit - profit AS DOUBLE) / CAST(prior_profit AS DOUBLE), 1) AS value,
       $max_decline_pct AS expected,
       round(100.0 * CAST(prior_profit - profit AS DOUBLE) / CAST(prior_profit AS DOUBLE) - $max_decline_pct, 1) AS difference,
       profit, prior_profit
FROM soe_finance
WHERE period = $period AND prior_profit > 0
  AND 100.0 * CAST(prior_profit - profit AS DOUBLE) / CAST(prior_profit AS DOUBLE) > $max_decline_pct
