-- id: pefa_pi1_aggregate_outturn
-- title: PEFA PI-1 支出总额执行偏差 | PEFA PI-1 aggregate expenditure outturn
-- category: 其他
-- datasets: budget_execution
-- severity: level
-- key: region_code, budget_kind
-- message: {subject}全年支出为年初预算的{value}%（PEFA PI-1 评级 {grade}） | {subject}: expenditure outturn {value}% of the original budget (PEFA PI-1 grade {grade})
-- mode: record
-- description: PEFA 2016 budget credibility: aggregate outturn over the original (年初) budget at
--   year end. A 95–105 %, B 90–110 %, C 85–115 %, else D. Findings below B: C yellow, D orange.
WITH t AS (
    SELECT region_code, budget_kind, max(region_name) AS region_name,
           100.0 * CAST(sum(ytd_amount) AS DOUBLE) / CAST(sum(initial_budget) AS DOUBLE) AS outturn
    FROM budget_execution
    WHERE period = $period AND $month = 12 AND is_detail
    GROUP BY region_code, budget_kind
    HAVING sum(initial_budget) > 0
), g AS (
    SELECT *, CASE WHEN outturn BETWEEN 95 AND 105 THEN 'A' WHEN outturn BETWEEN 90 AND 110 THEN 'B'
                   WHEN outturn BETWEEN 85 AND 115 THEN 'C' ELSE 'D' END AS grade
    FROM t
)
SELECT region_code || '|' || budget_kind AS alert_key,
       coalesce(region_name, region_code) || budget_kind AS subject, budget_kind, grade,
       CASE grade WHEN 'C' THEN '黄' ELSE '橙' END AS level,
       round(outturn, 1) AS value, 100 AS expected, round(outturn - 100, 1) AS difference
FROM g
WHERE grade IN ('C', 'D')
