-- id: soe_leverage
-- title: 国企资产负债率超警戒线 | SOE leverage above the warning line
-- category: 流量
-- datasets: soe_finance
-- severity: level
-- params: industrial_pct = 70, other_pct = 75, control_pp = 5
-- key: enterprise_name
-- message: {subject}资产负债率{value}%，警戒线{expected}% | {subject}: liabilities {value}% of assets, warning line {expected}%
-- description: Liabilities over assets against the warning line (70 % industrial, 75 % other);
--   yellow above it, red above the control line (warning + control_pp), where the enterprise
--   comes under key supervision (重点管控).
WITH s AS (
    SELECT coalesce(enterprise_code, enterprise_name) AS ekey, enterprise_name, industry, is_industrial, key_supervision,
           total_assets, total_liabilities,
           100.0 * CAST(total_liabilities AS DOUBLE) / CAST(total_assets AS DOUBLE) AS leverage,
           CASE WHEN coalesce(is_industrial, false) THEN $industrial_pct ELSE $other_pct END AS warning
    FROM soe_finance
    WHERE period = $period AND total_assets > 0
)
SELECT ekey AS alert_key,
       enterprise_name AS subject,
       CASE WHEN leverage >= warning + $control_pp THEN '红' ELSE '黄' END AS level,
       round(leverage, 1) AS value,
       warning AS expected,
       round(leverage - warning, 1) AS difference,
       industry, is_industrial, key_supervision, total_assets, total_liabilities
FROM s
WHERE leverage >= warning
