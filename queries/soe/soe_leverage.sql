-- id: soe_leverage
-- title: 国企资产负债率超警戒线 | SOE leverage above the warning line
-- category: 流量
-- focus: assets
-- budgets: state_capital
-- stake: total_liabilities
-- datasets: soe_finance
-- cadence: quarter
-- finding: state
-- basis: balance
-- severity: level
-- params: industrial_pct = 70, other_pct = 75, control_pp = 5
-- key: region_code, enterprise_key
-- message: {subject}资产负债率{value}%，警戒线{expected}%：负债{total_liabilities}，资产{total_assets}（数据截至{data_period}） | {subject}: liabilities {total_liabilities} are {value}% of assets {total_assets}, warning line {expected}% (data as of {data_period})
-- description: Liabilities over assets against the warning line (70 % industrial, 75 % other);
--   yellow above it, red above the control line (warning + control_pp), where the enterprise
--   comes under key supervision (重点管控). Flash reports may come quarterly: each enterprise's
--   latest report of the last three months stands (cadence: quarter).
WITH latest AS (
    SELECT coalesce(region_code, '') AS region_code, coalesce(enterprise_code, enterprise_name) AS enterprise_key,
           max(period) AS data_period
    FROM soe_finance
    WHERE period >= $since AND period <= $period
    GROUP BY coalesce(region_code, ''), coalesce(enterprise_code, enterprise_name)
), s AS (
    SELECT l.region_code, l.enterprise_key, l.data_period,
           max(s.enterprise_name) AS enterprise_name, max(s.industry) AS industry,
           max(CASE WHEN s.is_industrial THEN 1 ELSE 0 END) = 1 AS is_industrial,
           max(CASE WHEN s.key_supervision THEN 1 ELSE 0 END) = 1 AS key_supervision,
           sum(s.total_assets) AS total_assets, sum(s.total_liabilities) AS total_liabilities
    FROM soe_finance s JOIN latest l
      ON coalesce(s.region_code, '') = l.region_code AND coalesce(s.enterprise_code, s.enterprise_name) = l.enterprise_key
     AND s.period = l.data_period
    GROUP BY l.region_code, l.enterprise_key, l.data_period
), x AS (
    SELECT *, 100.0 * CAST(total_liabilities AS DOUBLE) / CAST(total_assets AS DOUBLE) AS leverage,
           CASE WHEN is_industrial THEN $industrial_pct ELSE $other_pct END AS warning
    FROM s WHERE total_assets > 0
)
SELECT region_code, enterprise_key, data_period,
       enterprise_name AS subject,
       CASE WHEN leverage >= warning + $control_pp THEN '红' ELSE '黄' END AS level,
       -- One more decimal where rounding would read as a line itself (74.96 % is yellow, not 75.0 %).
       round(leverage, CASE WHEN round(leverage, 1) <> warning AND round(leverage, 1) <> warning + $control_pp THEN 1 WHEN round(leverage, 2) <> warning AND round(leverage, 2) <> warning + $control_pp THEN 2 WHEN round(leverage, 3) <> warning AND round(leverage, 3) <> warning + $control_pp THEN 3 ELSE 4 END) AS value,
       warning AS expected,
       round(leverage - warning, CASE WHEN round(leverage, 1) <> warning AND round(leverage, 1) <> warning + $control_pp THEN 1 WHEN round(leverage, 2) <> warning AND round(leverage, 2) <> warning + $control_pp THEN 2 WHEN round(leverage, 3) <> warning AND round(leverage, 3) <> warning + $control_pp THEN 3 ELSE 4 END) AS difference,
       industry, is_industrial, key_supervision, total_assets, total_liabilities
FROM x
WHERE leverage >= warning
