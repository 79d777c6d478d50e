-- id: pefa_pi3_revenue_outturn
-- title: PEFA PI-3 收入执行偏差 | PEFA PI-3 revenue outturn
-- category: 其他
-- datasets: revenue
-- severity: level
-- key: region_code, budget_kind
-- message: {subject}全年收入为年初预算的{value}%（PEFA PI-3 评级 {grade}） | {subject}: revenue outturn {value}% of the original budget (PEFA PI-3 grade {grade})
-- mode: record
-- description: Revenue at year end over the original budget, per budget kind. A 97–106 %,
--   B 94–112 %, C 92–116 %, else D. Findings below B: C yellow, D orange.
WITH t AS (
    SELECT region_code, budget_kind, max(region_name) AS region_name,
           100.0 * CAST(sum(ytd_amount) AS DOUBLE) / CAST(sum(coalesce(initial_budget, adjusted_budget)) AS DOUBLE) AS outturn
    FROM revenue
    WHERE period = $period AND $month = 12 AND is_detail
    GROUP BY region_code, budget_kind
    HAVING sum(coalesce(initial_budget, adjusted_budget)) > 0
), g AS (
    SELECT *, CASE WHEN outturn BETWEEN 97 AND 106 THEN 'A' WHEN outturn BETWEEN 94 AND 112 THEN 'B'
                   WHEN outturn BETWEEN 92 AND 116 THEN 'C' ELSE 'D' END AS grade
    FROM t
)
SELECT region_code || '|' || budget_kind AS alert_key,
       coalesce(region_name, region_code) || budget_kind AS subject, budget_kind, grade,
       CASE grade WHEN 'C' THEN '黄' ELSE '橙' END AS level,
       round(outturn, 1) AS value, 100 AS expected, round(outturn - 100, 1) AS difference
FROM g
WHERE grade IN ('C', 'D')
