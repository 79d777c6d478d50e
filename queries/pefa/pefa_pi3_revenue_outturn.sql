-- id: pefa_pi3_revenue_outturn
-- title: PEFA PI-3 收入执行偏差 | PEFA PI-3 revenue outturn
-- category: 其他
-- focus: revenue
-- budgets: general
-- datasets: revenue
-- cadence: month
-- finding: state
-- basis: annual
-- months: 12
-- severity: level
-- params: a_low_pct = 97, a_high_pct = 106, b_low_pct = 94, b_high_pct = 112, c_low_pct = 92, c_high_pct = 116, a_pct = 5, b_pct = 10, c_pct = 15
-- key: region_code, budget_kind, year, dimension
-- message: {subject}PEFA {dimension}（{dimension_zh}）评级 {grade}：{year}年{value}%，近三年有{years}年数据 | {subject}: PEFA {dimension} ({dimension_en}) grade {grade}: {value}% in {year}, {years} of the last three years with data
-- mode: record
-- description: PEFA 2016 PI-3 on the December revenue extracts of the last three completed years,
--   against the original budget (年初预算) only:
--   PI-3.1 aggregate revenue outturn, actual / original: A 97–106 %, B 94–112 %, C 92–116 %.
--   PI-3.2 revenue composition variance over revenue categories (款, 5-digit codes):
--   Σ|actual_i − original_i × Σactual / Σoriginal| / Σactual: A < 5 %, B < 10 %, C < 15 %.
--   Each dimension's grade is the one met in at least two of the three years; one year alone is
--   not rated. (PI-3's overall score averages its dimensions, method M2, which needs PEFA's
--   conversion table: the dimensions are reported as they are.) Per region and budget kind.
--   Findings below B: C yellow, D orange. Record mode.
WITH base AS (
    SELECT coalesce(region_code, '') AS region_code, budget_kind, CAST(substr(period, 1, 4) AS BIGINT) AS fy,
           region_name, rev_code, ytd_amount, initial_budget
    FROM revenue
    WHERE period IN ($period, CAST($year - 1 AS VARCHAR) || '-12', CAST($year - 2 AS VARCHAR) || '-12') AND is_detail
), agg AS (
    SELECT region_code, budget_kind, fy, max(region_name) AS region_name,
           sum(ytd_amount) AS actual, sum(initial_budget) AS original
    FROM base GROUP BY region_code, budget_kind, fy HAVING sum(initial_budget) > 0
), cat AS (
    SELECT region_code, budget_kind, fy, substr(rev_code, 1, 5) AS item,
           sum(ytd_amount) AS actual, sum(initial_budget) AS original
    FROM base WHERE rev_code IS NOT NULL GROUP BY region_code, budget_kind, fy, substr(rev_code, 1, 5)
), comp AS (
    SELECT c.region_code, c.budget_kind, c.fy,
           100.0 * sum(abs(CAST(c.actual AS DOUBLE) - CAST(c.original AS DOUBLE) * CAST(a.actual AS DOUBLE) / CAST(a.original AS DOUBLE)))
                 / max(CAST(a.actual AS DOUBLE)) AS measure
    FROM cat c JOIN agg a ON c.region_code = a.region_code AND c.budget_kind = a.budget_kind AND c.fy = a.fy
    WHERE a.actual > 0
    GROUP BY c.region_code, c.budget_kind, c.fy
), m AS (
    SELECT 'PI-3.1' AS dimension, region_code, budget_kind, fy,
           100.0 * CAST(actual AS DOUBLE) / CAST(original AS DOUBLE) AS measure
    FROM agg
    UNION ALL
    SELECT 'PI-3.2' AS dimension, region_code, budget_kind, fy, measure FROM comp
), g AS (
    SELECT *,
           CASE WHEN dimension = 'PI-3.1' THEN
                CASE WHEN measure >= $a_low_pct AND measure <= $a_high_pct THEN 'A'
                     WHEN measure >= $b_low_pct AND measure <= $b_high_pct THEN 'B'
                     WHEN measure >= $c_low_pct AND measure <= $c_high_pct THEN 'C' ELSE 'D' END
           ELSE CASE WHEN measure < $a_pct THEN 'A' WHEN measure < $b_pct THEN 'B' WHEN measure < $c_pct THEN 'C' ELSE 'D' END
           END AS grade
    FROM m
), r AS (
    SELECT *,
           row_number() OVER (PARTITION BY dimension, region_code, budget_kind ORDER BY grade, fy DESC) AS rn,
           count(*) OVER (PARTITION BY dimension, region_code, budget_kind) AS years,
           max(CASE WHEN fy = $year THEN measure END) OVER (PARTITION BY dimension, region_code, budget_kind) AS this_year
    FROM g
), names AS (
    SELECT region_code, max(region_name) AS region_name FROM agg GROUP BY region_code
)
SELECT r.region_code, r.budget_kind, $year AS year, r.dimension,
       coalesce(names.region_name, r.region_code) || r.budget_kind AS subject,
       CASE r.dimension WHEN 'PI-3.1' THEN '收入总额执行' ELSE '收入结构执行' END AS dimension_zh,
       CASE r.dimension WHEN 'PI-3.1' THEN 'aggregate revenue outturn' ELSE 'revenue composition outturn' END AS dimension_en,
       r.grade, r.years,
       CASE r.grade WHEN 'C' THEN '黄' ELSE '橙' END AS level,
       round(r.this_year, 1) AS value,
       CASE r.dimension WHEN 'PI-3.1' THEN 100 ELSE 0 END AS expected,
       round(r.this_year - CASE r.dimension WHEN 'PI-3.1' THEN 100 ELSE 0 END, 1) AS difference
FROM r LEFT JOIN names ON r.region_code = names.region_code
WHERE r.rn = 2 AND r.years >= 2 AND r.this_year IS NOT NULL AND r.grade IN ('C', 'D')
