-- id: pefa_pi2_composition
-- title: PEFA PI-2 支出结构执行偏差 | PEFA PI-2 expenditure composition outturn
-- category: 其他
-- focus: structure
-- budgets: general
-- datasets: budget_execution
-- cadence: month
-- finding: state
-- basis: annual
-- months: 12
-- severity: level
-- params: a_pct = 5, b_pct = 10, c_pct = 15, contingency_a_pct = 3, contingency_b_pct = 6, contingency_c_pct = 10
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
--     share of the original budget: A < 3 %, B < 6 %, C < 10 %. What is charged to it is what
--     was spent under 227 plus what was moved out of it: Chinese practice books 预备费 use to the
--     function that receives it (a flood's relief under 224), leaving the 227 line's adjusted
--     budget below its original; that fall is contingency spent.
--   2.1 and 2.2 take the grade met in at least two of the three years; 2.3 the average of the
--   years; with one year only nothing is rated. The overall PI-2 (method M1, weakest link) is
--   the lowest dimension grade, with "+" when another dimension scores higher. Findings below B:
--   C yellow, D orange. Record mode.
WITH items AS (
    -- One pass: each detail row counted under its dimension's item (2.1: function class without
    -- 227 and 232/233; 2.2: economic class, 227 out; 2.3: the contingency 227 or the rest).
    SELECT d.dimension, coalesce(b.region_code, '') AS region_code, b.budget_kind,
           CAST(substr(b.period, 1, 4) AS BIGINT) AS fy,
           CASE d.dimension WHEN 'PI-2.1' THEN substr(b.func_code, 1, 3)
                            WHEN 'PI-2.2' THEN substr(b.gov_econ_code, 1, 3)
                            ELSE CASE WHEN substr(b.func_code, 1, 3) = '227' THEN '227' ELSE 'rest' END END AS item,
           sum(b.ytd_amount) AS actual, sum(b.initial_budget) AS original,
           sum(b.initial_budget - b.adjusted_budget) AS moved_out
    FROM budget_execution b
    CROSS JOIN (VALUES ('PI-2.1'), ('PI-2.2'), ('PI-2.3')) AS d(dimension)
    WHERE b.period IN ($period, CAST($year - 1 AS VARCHAR) || '-12', CAST($year - 2 AS VARCHAR) || '-12') AND b.is_detail
      AND CASE d.dimension
              WHEN 'PI-2.1' THEN b.func_code IS NOT NULL AND substr(b.func_code, 1, 3) NOT IN ('227', '232', '233')
              WHEN 'PI-2.2' THEN b.gov_econ_code IS NOT NULL AND coalesce(substr(b.func_code, 1, 3), '') <> '227'
              ELSE true END
    GROUP BY 1, 2, 3, 4, 5
), totals AS (
    SELECT *,
           sum(actual) OVER (PARTITION BY dimension, region_code, budget_kind, fy) AS total_actual,
           sum(original) OVER (PARTITION BY dimension, region_code, budget_kind, fy) AS total_original
    FROM items
), measures AS (
    SELECT dimension, region_code, budget_kind, fy,
           CASE WHEN dimension = 'PI-2.3'
                THEN 100.0 * CAST(sum(CASE WHEN item = '227'
                                           THEN actual + CASE WHEN moved_out > 0 THEN moved_out ELSE 0 END
                                           ELSE 0 END) AS DOUBLE) / CAST(max(total_original) AS DOUBLE)
                ELSE 100.0 * sum(abs(CAST(actual AS DOUBLE)
                                     - CAST(original AS DOUBLE) * CAST(total_actual AS DOUBLE) / CAST(total_original AS DOUBLE)))
                     / CAST(max(total_actual) AS DOUBLE)
           END AS measure
    FROM totals
    WHERE total_original > 0 AND (dimension = 'PI-2.3' OR total_actual > 0)
    GROUP BY dimension, region_code, budget_kind, fy
), two_of_three AS (
    SELECT *,
           row_number() OVER (PARTITION BY dimension, region_code, budget_kind ORDER BY grade, fy DESC) AS rn,
           count(*) OVER (PARTITION BY dimension, region_code, budget_kind) AS years,
           max(CASE WHEN fy = $year THEN measure END) OVER (PARTITION BY dimension, region_code, budget_kind) AS this_year,
           avg(measure) OVER (PARTITION BY dimension, region_code, budget_kind) AS average,
           max(fy) OVER (PARTITION BY dimension, region_code, budget_kind) AS last_fy
    FROM (SELECT *,
                 CASE WHEN dimension = 'PI-2.3' THEN 'A'
                      WHEN measure < $a_pct THEN 'A' WHEN measure < $b_pct THEN 'B' WHEN measure < $c_pct THEN 'C' ELSE 'D' END AS grade
          FROM measures) v
), dims AS (
    -- 2.1 and 2.2: the grade met in two of the three years (the second best); 2.3: the average.
    SELECT dimension, region_code, budget_kind, years,
           CASE WHEN dimension <> 'PI-2.3' THEN grade
                WHEN average < $contingency_a_pct THEN 'A' WHEN average < $contingency_b_pct THEN 'B'
                WHEN average < $contingency_c_pct THEN 'C' ELSE 'D' END AS grade,
           CASE WHEN dimension = 'PI-2.3' THEN average ELSE this_year END AS measure
    FROM two_of_three
    WHERE years >= 2
      AND CASE WHEN dimension = 'PI-2.3' THEN rn = 1 AND last_fy = $year ELSE rn = 2 AND this_year IS NOT NULL END
), scored AS (
    -- Each dimension, and the overall PI-2 (method M1: the weakest, "+" when another scores
    -- higher) as the roll-up row, in one pass (its dimension is NULL there).
    SELECT coalesce(dimension, 'PI-2') AS dimension, region_code, budget_kind,
           max(grade) || CASE WHEN dimension IS NULL AND min(grade) < max(grade) THEN '+' ELSE '' END AS grade,
           min(years) AS years,
           CASE WHEN dimension IS NULL THEN CAST(NULL AS DOUBLE) ELSE max(measure) END AS measure
    FROM dims
    GROUP BY GROUPING SETS ((dimension, region_code, budget_kind), (region_code, budget_kind))
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
