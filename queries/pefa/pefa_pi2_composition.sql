-- id: pefa_pi2_composition
-- title: PEFA PI-2 支出结构执行偏差 | PEFA PI-2 expenditure composition outturn
-- category: 其他
-- datasets: budget_execution
-- severity: level
-- key: region_code, budget_kind
-- message: {subject}按功能分类的支出结构偏差{value}%（PEFA PI-2 评级 {grade}） | {subject}: composition variance {value}% by function (PEFA PI-2 grade {grade})
-- mode: record
-- description: Σ|actual_i − budget_i × (Σactual / Σbudget)| / Σbudget over function classes (类),
--   original budget, at year end. A < 5 %, B < 10 %, C < 15 %, else D. Findings below B.
WITH c AS (
    SELECT region_code, budget_kind, substr(func_code, 1, 3) AS class, max(region_name) AS region_name,
           CAST(sum(ytd_amount) AS DOUBLE) AS actual, CAST(sum(initial_budget) AS DOUBLE) AS budget
    FROM budget_execution
    WHERE period = $period AND $month = 12 AND is_detail
    GROUP BY region_code, budget_kind, substr(func_code, 1, 3)
), tot AS (
    SELECT region_code, budget_kind, sum(actual) AS actual, sum(budget) AS budget FROM c GROUP BY region_code, budget_kind
), v AS (
    SELECT c.region_code, c.budget_kind, max(c.region_name) AS region_name,
           100.0 * sum(abs(c.actual - c.budget * tot.actual / tot.budget)) / max(tot.budget) AS variance
    FROM c JOIN tot ON c.region_code = tot.region_code AND c.budget_kind = tot.budget_kind
    WHERE tot.budget > 0
    GROUP BY c.region_code, c.budget_kind
), g AS (
    SELECT *, CASE WHEN variance < 5 THEN 'A' WHEN variance < 10 THEN 'B' WHEN variance < 15 THEN 'C' ELSE 'D' END AS grade FROM v
)
SELECT region_code || '|' || budget_kind AS alert_key,
       coalesce(region_name, region_code) || budget_kind AS subject, budget_kind, grade,
       CASE grade WHEN 'C' THEN '黄' ELSE '橙' END AS level,
       round(variance, 1) AS value, 10 AS expected, round(variance - 10, 1) AS difference
FROM g
WHERE grade IN ('C', 'D')
