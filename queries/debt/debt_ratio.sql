-- id: debt_ratio
-- title: 债务率风险 | Debt ratio risk
-- category: 流量
-- datasets: debt
-- severity: level
-- params: yellow_pct = 120, orange_pct = 200, red_pct = 300
-- key: region_code
-- message: {subject}债务率{value}%（{band}） | {subject}: debt ratio {value}% ({band_en})
-- description: Debt balance (一般 + 专项) over comprehensive fiscal capacity (综合财力). Green below
--   120 %, yellow 120–200 %, orange 200–300 %, red from 300 %.
WITH r AS (
    SELECT region_code, max(region_name) AS region_name,
           CAST(sum(debt_balance) AS DOUBLE) AS balance,
           CAST(max(fiscal_capacity) AS DOUBLE) AS capacity
    FROM debt
    WHERE period = $period
    GROUP BY region_code
), x AS (
    SELECT *, 100.0 * balance / capacity AS ratio FROM r WHERE capacity > 0
)
SELECT region_code AS alert_key,
       coalesce(region_name, region_code) AS subject,
       CASE WHEN ratio >= $red_pct THEN '红' WHEN ratio >= $orange_pct THEN '橙' ELSE '黄' END AS level,
       CASE WHEN ratio >= $red_pct THEN '红色风险' WHEN ratio >= $orange_pct THEN '橙色风险' ELSE '黄色风险' END AS band,
       CASE WHEN ratio >= $red_pct THEN 'red' WHEN ratio >= $orange_pct THEN 'orange' ELSE 'yellow' END AS band_en,
       round(ratio, 1) AS value,
       $yellow_pct AS expected,
       round(ratio - $yellow_pct, 1) AS difference,
       balance AS debt_balance, capacity AS fiscal_capacity
FROM x
WHERE ratio >= $yellow_pct
