-- id: pefa_pi2_composition
-- title: PEFA PI-2 支出结构执行偏差 | PEFA PI-2 expenditure composition outturn
-- category: 其他
-- datasets: budget_execution
-- cadence: month
-- months: 12
-- severity: level
-- key: region_code, budget_kind, year, dimension
-- message: {subject}PEFA {dimension}（{dimension_zh}）评级 {grade}：{measure_zh}，近三年有{years}年数据 | {subject}: PEFA {dimension} ({dimension_en}) grade {grade}: {measure_en}, {years} of the last three years with data
-- mode: record
-- description: PEFA 2016 PI-2 on the December extracts of the last three completed years, against
--   the original budget (年初预算) only. "Adjusted budget" in PEFA's formula is the original
--   scaled to the actual total, not the mid-year revised budget:
--   PI-2.1 by function (类): Σ|actual_i − original_i × Σactual / Σoriginal| / Σactual, without the
--     contingency (227 预备费) and interest (232 债务付息, 233 债务发行费用): A < 5 %, B < 10 %, C < 15 %.
--   PI-2.2 by economic type (政府经济分类 类), interest included, contingency excluded: same bands.
--   PI-2.3 expenditure charged to the contingency vote (227), on average over the years, as a
--     share of the original budget: A < 3 %, B < 6 %, C < 10 %.
--   2.1 and 2.2 take the grade met in at least two of the three years; 2.3 the average of the
--   years; with one year only nothing is rated. The overall PI-2 (method M1, weakest link) is
--   the lowest dimension grade, with "+" when another dimension scores higher. Findings below B:
--   C yellow, D orange. Record mode.
WITH base AS (
    SELECT coalesce(region_code, '') AS region_code, budget_kind, CAST(substr(period, 1, 4) AS BIGINT) AS fy,
           substr(func_code, 1, 3) AS func_class, substr(gov_econ_code, 1, 3) AS econ_class,
           ytd_amount, initial_budget
    FROM budget_execution
    WHERE period IN ($period, CAST($year - 1 AS VARCHAR) || '-12', CAST($year - 2 AS VARCHAR) || '-12') AND is_detail
), items AS (
    SELECT 'PI-2.1' AS dimension, region_code, budget_kind, fy, func_class AS item,
           sum(ytd_amount) AS actual, sum(initial_budget) AS original
    FROM base WHERE func_class IS NOT NULL AND func_class NOT IN ('227', '232', '233')
    GROUP BY region_code, budget_kind, fy, func_class
    UNION ALL
    SELECT 'PI-2.2' AS dimension, region_code, budget_kind, fy, econ_class AS item,
           sum(ytd_amount) AS actual, sum(initial_budget) AS original
    FROM base WHERE econ_class IS NOT NULL AND coalesce(func_class, '') <> '227'
    GROUP BY region_code, budget_kind, fy, econ_class
), tot AS (
    SELECT dimension, region_code, budget_kind, fy, sum(actual) AS actual, sum(original) AS original
    FROM items GROUP BY dimension, region_code, budget_kind, fy
), var AS (
    SELECT i.dimension, i.region_code, i.budget_kind, i.fy,
           100.0 * sum(abs(CAST(i.actual AS DOUBLE) - CAST(i.original AS DOUBLE) * CAST(t.actual AS DOUBLE) / CAST(t.original AS DOUBLE)))
                 / max(CAST(t.actual AS DOUBLE)) AS measure
    FROM items i JOIN tot t
      ON i.dimension = t.dimension AND i.region_code = t.region_code AND i.budget_kind = t.budget_kind AND i.fy = t.fy
    WHERE t.actual > 0 AND t.original > 0
    GROUP BY i.dimension, i.region_code, i.budget_kind, i.fy
), two_of_three AS (
    SELECT *,
           row_number() OVER (PARTITION BY dimension, region_code, budget_kind ORDER BY grade, fy DESC) AS rn,
           count(*) OVER (PARTITION BY dimension, region_code, budget_kind) AS years,
           max(CASE WHEN fy = $year THEN measure END) OVER (PARTITION BY dimension, region_code, budget_kind) AS this_year
    FROM (SELECT *, CASE WHEN measure < 5 THEN 'A' WHEN measure < 10 THEN 'B' WHEN measure < 15 THEN 'C' ELSE 'D' END AS grade
          FROM var) v
), contingency AS (
    SELECT region_code, budget_kind, fy,
           100.0 * CAST(sum(CASE WHEN func_class = '227' THEN ytd_amount ELSE 0 END) AS DOUBLE)
                 / CAST(sum(initial_budget) AS DOUBLE) AS measure
    FROM base GROUP BY region_code, budget_kind, fy HAVING sum(initial_budget) > 0
), dims AS (
    SELECT dimension, region_code, budget_kind, grade, years, this_year AS measure
    FROM two_of_three WHERE rn = 2 AND years >= 2 AND this_year IS NOT NULL
    UNION ALL
    SELECT 'PI-2.3' AS dimension, region_code, budget_kind,
           CASE WHEN avg(measure) < 3 THEN 'A' WHEN avg(measure) < 6 THEN 'B' WHEN avg(measure) < 10 THEN 'C' ELSE 'D' END AS grade,
           count(*) AS years, avg(measure) AS measure
    FROM contingency GROUP BY region_code, budget_kind
    HAVING count(*) >= 2 AND max(fy) = $year
), overall AS (
    SELECT 'PI-2' AS dimension, region_code, budget_kind,
           max(grade) || CASE WHEN min(grade) < max(grade) THEN '+' ELSE '' END AS grade,
           min(years) AS years, CAST(NULL AS DOUBLE) AS measure
    FROM dims GROUP BY region_code, budget_kind
), scored AS (
    SELECT * FROM dims UNION ALL SELECT * FROM overall
), names AS (
    SELECT coalesce(region_code, '') AS region_code, max(region_name) AS region_name
    FROM budget_execution WHERE period = $period GROUP BY coalesce(region_code, '')
)
SELECT s.region_code, s.budget_kind, $year AS year, s.dimension,
       coalesce(names.region_name, s.region_code) || s.budget_kind AS subject,
       CASE s.dimension WHEN 'PI-2.1' THEN '按功能分类的支出结构' WHEN 'PI-2.2' THEN '按经济分类的支出结构'
                        WHEN 'PI-2.3' THEN '预备费支出' ELSE '支出结构总体' END AS dimension_zh,
       CASE s.dimension WHEN 'PI-2.1' THEN 'composition by function' WHEN 'PI-2.2' THEN 'composition by economic type'
                        WHEN 'PI-2.3' THEN 'expenditure from contingency reserves' ELSE 'overall' END AS dimension_en,
       CASE s.dimension WHEN 'PI-2' THEN '取各维度最弱项（M1）'
            WHEN 'PI-2.3' THEN '年均' || CAST(round(s.measure, 1) AS VARCHAR) || '%'
            ELSE CAST($year AS VARCHAR) || '年' || CAST(round(s.measure, 1) AS VARCHAR) || '%' END AS measure_zh,
       CASE s.dimension WHEN 'PI-2' THEN 'the weakest dimension (M1)'
            WHEN 'PI-2.3' THEN CAST(round(s.measure, 1) AS VARCHAR) || '% a year on average'
            ELSE CAST(round(s.measure, 1) AS VARCHAR) || '% in ' || CAST($year AS VARCHAR) END AS measure_en,
       s.grade, s.years,
       CASE WHEN substr(s.grade, 1, 1) = 'C' THEN '黄' ELSE '橙' END AS level,
       round(s.measure, 1) AS value,
       CASE s.dimension WHEN 'PI-2.3' THEN 3 ELSE 5 END AS expected,
       round(s.measure - CASE s.dimension WHEN 'PI-2.3' THEN 3 ELSE 5 END, 1) AS difference
FROM scored s LEFT JOIN names ON s.region_code = names.region_code
WHERE substr(s.grade, 1, 1) IN ('C', 'D')
