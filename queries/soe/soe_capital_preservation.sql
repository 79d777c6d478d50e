-- id: soe_capital_preservation
-- title: 国有资本保值增值率低于100% | State capital not preserved
-- category: 流量
-- focus: assets
-- budgets: state_capital
-- stake: state_capital
-- datasets: soe_finance
-- cadence: quarter
-- finding: state
-- basis: ytd
-- severity: 黄
-- params: min_pct = 100
-- key: region_code, enterprise_key
-- message: {subject}国有资本保值增值率{value}%：期末{state_capital}，期初{state_capital_opening}（数据截至{data_period}） | {subject}: state capital at {value}% of its opening value ({state_capital} against {state_capital_opening}, data as of {data_period})
-- description: Closing state capital over opening state capital (保值增值率). Each enterprise's
--   latest report of the last three months stands (cadence: quarter).
WITH latest AS (
    SELECT coalesce(region_code, '') AS region_code, coalesce(enterprise_code, enterprise_name) AS enterprise_key,
           max(period) AS data_period
    FROM soe_finance
    WHERE period >= $since AND period <= $period
    GROUP BY coalesce(region_code, ''), coalesce(enterprise_code, enterprise_name)
), s AS (
    SELECT l.region_code, l.enterprise_key, l.data_period, max(s.enterprise_name) AS enterprise_name,
           sum(s.state_capital) AS state_capital, sum(s.state_capital_opening) AS state_capital_opening
    FROM soe_finance s JOIN latest l
      ON coalesce(s.region_code, '') = l.region_code AND coalesce(s.enterprise_code, s.enterprise_name) = l.enterprise_key
     AND s.period = l.data_period
    GROUP BY l.region_code, l.enterprise_key, l.data_period
), x AS (
    SELECT *, 100.0 * CAST(state_capital AS DOUBLE) / CAST(state_capital_opening AS DOUBLE) AS ratio
    FROM s WHERE state_capital_opening > 0
)
SELECT region_code, enterprise_key, data_period,
       enterprise_name AS subject,
       -- One more decimal where rounding would read as a line itself (99.996 % is below 100, not 100.00 %).
       round(ratio, CASE WHEN round(ratio, 2) <> $min_pct THEN 2 WHEN round(ratio, 3) <> $min_pct THEN 3 WHEN round(ratio, 4) <> $min_pct THEN 4 ELSE 5 END) AS value,
       $min_pct AS expected,
       round(ratio - $min_pct, CASE WHEN round(ratio, 2) <> $min_pct THEN 2 WHEN round(ratio, 3) <> $min_pct THEN 3 WHEN round(ratio, 4) <> $min_pct THEN 4 ELSE 5 END) AS difference,
       state_capital, state_capital_opening
FROM x
WHERE ratio < $min_pct
