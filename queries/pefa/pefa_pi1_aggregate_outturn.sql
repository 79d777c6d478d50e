-- id: pefa_pi1_aggregate_outturn
-- title: PEFA PI-1 支出总额执行偏差 | PEFA PI-1 aggregate expenditure outturn
-- category: 其他
-- focus: structure
-- budgets: general
-- datasets: budget_execution
-- cadence: month
-- finding: state
-- basis: annual
-- months: 12
-- severity: level
-- params: a_pp = 5, b_pp = 10, c_pp = 15
-- key: region_code, budget_kind, year
-- message: {subject}{year}年支出为年初预算的{value}%（{year_2}年 {outturn_2}，{year_1}年 {outturn_1}）；近三年有{years}年数据，PEFA PI-1 评级 {grade} | {subject}: {year} expenditure outturn {value}% of the original budget ({year_2}: {outturn_2}, {year_1}: {outturn_1}); {years} of the last three years with data, PEFA PI-1 grade {grade}
-- mode: record
-- description: PEFA 2016 PI-1, aggregate expenditure outturn over the original budget (年初预算,
--   never the adjusted one) in each of the last three completed years, judged on the December
--   extracts. The grade is the one met in at least two of the three years: A 95–105 %,
--   B 90–110 %, C 85–115 %, else D (a_pp, b_pp, c_pp: within so many points of 100 %; the
--   cockpit's year-end projection grades in the same bands); with one year only it is not rated. Record mode: the score is
--   kept and reported, not a workflow item. Findings below B: C yellow, D orange.
WITH y AS (
    SELECT coalesce(region_code, '') AS region_code, budget_kind, CAST(substr(period, 1, 4) AS BIGINT) AS fy,
           max(region_name) AS region_name,
           sum(ytd_amount) AS actual, sum(initial_budget) AS original
    FROM budget_execution
    WHERE period IN ($period, CAST($year - 1 AS VARCHAR) || '-12', CAST($year - 2 AS VARCHAR) || '-12') AND is_detail
    GROUP BY coalesce(region_code, ''), budget_kind, CAST(substr(period, 1, 4) AS BIGINT)
    HAVING sum(initial_budget) > 0
), o AS (
    SELECT *, 100.0 * CAST(actual AS DOUBLE) / CAST(original AS DOUBLE) AS outturn FROM y
), g AS (
    SELECT *, CASE WHEN abs(outturn - 100) <= $a_pp THEN 'A' WHEN abs(outturn - 100) <= $b_pp THEN 'B'
                   WHEN abs(outturn - 100) <= $c_pp THEN 'C' ELSE 'D' END AS grade
    FROM o
), r AS (
    SELECT *,
           row_number() OVER (PARTITION BY region_code, budget_kind ORDER BY grade, fy DESC) AS rn,
           count(*) OVER (PARTITION BY region_code, budget_kind) AS years,
           max(CASE WHEN fy = $year THEN outturn END) OVER (PARTITION BY region_code, budget_kind) AS outturn_0,
           max(CASE WHEN fy = $year - 1 THEN outturn END) OVER (PARTITION BY region_code, budget_kind) AS outturn_1,
           max(CASE WHEN fy = $year - 2 THEN outturn END) OVER (PARTITION BY region_code, budget_kind) AS outturn_2,
           max(region_name) OVER (PARTITION BY region_code, budget_kind) AS rname
    FROM g
)
SELECT region_code, budget_kind, $year AS year,
       coalesce(rname, region_code) || budget_kind AS subject, grade, years,
       CASE grade WHEN 'C' THEN '黄' ELSE '橙' END AS level,
       -- One more decimal where rounding would read as a band's edge (89.99 % is C, not 90.0 %).
       round(outturn_0, CASE WHEN round(outturn_0, 1) <> 85 AND round(outturn_0, 1) <> 90 AND round(outturn_0, 1) <> 95 AND round(outturn_0, 1) <> 105 AND round(outturn_0, 1) <> 110 AND round(outturn_0, 1) <> 115 THEN 1 WHEN round(outturn_0, 2) <> 85 AND round(outturn_0, 2) <> 90 AND round(outturn_0, 2) <> 95 AND round(outturn_0, 2) <> 105 AND round(outturn_0, 2) <> 110 AND round(outturn_0, 2) <> 115 THEN 2 WHEN round(outturn_0, 3) <> 85 AND round(outturn_0, 3) <> 90 AND round(outturn_0, 3) <> 95 AND round(outturn_0, 3) <> 105 AND round(outturn_0, 3) <> 110 AND round(outturn_0, 3) <> 115 THEN 3 ELSE 4 END) AS value, 100 AS expected,
       round(outturn_0 - 100, CASE WHEN round(outturn_0, 1) <> 85 AND round(outturn_0, 1) <> 90 AND round(outturn_0, 1) <> 95 AND round(outturn_0, 1) <> 105 AND round(outturn_0, 1) <> 110 AND round(outturn_0, 1) <> 115 THEN 1 WHEN round(outturn_0, 2) <> 85 AND round(outturn_0, 2) <> 90 AND round(outturn_0, 2) <> 95 AND round(outturn_0, 2) <> 105 AND round(outturn_0, 2) <> 110 AND round(outturn_0, 2) <> 115 THEN 2 WHEN round(outturn_0, 3) <> 85 AND round(outturn_0, 3) <> 90 AND round(outturn_0, 3) <> 95 AND round(outturn_0, 3) <> 105 AND round(outturn_0, 3) <> 110 AND round(outturn_0, 3) <> 115 THEN 3 ELSE 4 END) AS difference,
       $year - 1 AS year_1, coalesce(CAST(round(outturn_1, CASE WHEN round(outturn_1, 1) <> 85 AND round(outturn_1, 1) <> 90 AND round(outturn_1, 1) <> 95 AND round(outturn_1, 1) <> 105 AND round(outturn_1, 1) <> 110 AND round(outturn_1, 1) <> 115 THEN 1 WHEN round(outturn_1, 2) <> 85 AND round(outturn_1, 2) <> 90 AND round(outturn_1, 2) <> 95 AND round(outturn_1, 2) <> 105 AND round(outturn_1, 2) <> 110 AND round(outturn_1, 2) <> 115 THEN 2 WHEN round(outturn_1, 3) <> 85 AND round(outturn_1, 3) <> 90 AND round(outturn_1, 3) <> 95 AND round(outturn_1, 3) <> 105 AND round(outturn_1, 3) <> 110 AND round(outturn_1, 3) <> 115 THEN 3 ELSE 4 END) AS VARCHAR) || '%', '—') AS outturn_1,
       $year - 2 AS year_2, coalesce(CAST(round(outturn_2, CASE WHEN round(outturn_2, 1) <> 85 AND round(outturn_2, 1) <> 90 AND round(outturn_2, 1) <> 95 AND round(outturn_2, 1) <> 105 AND round(outturn_2, 1) <> 110 AND round(outturn_2, 1) <> 115 THEN 1 WHEN round(outturn_2, 2) <> 85 AND round(outturn_2, 2) <> 90 AND round(outturn_2, 2) <> 95 AND round(outturn_2, 2) <> 105 AND round(outturn_2, 2) <> 110 AND round(outturn_2, 2) <> 115 THEN 2 WHEN round(outturn_2, 3) <> 85 AND round(outturn_2, 3) <> 90 AND round(outturn_2, 3) <> 95 AND round(outturn_2, 3) <> 105 AND round(outturn_2, 3) <> 110 AND round(outturn_2, 3) <> 115 THEN 3 ELSE 4 END) AS VARCHAR) || '%', '—') AS outturn_2
FROM r
WHERE rn = 2 AND years >= 2 AND outturn_0 IS NOT NULL AND grade IN ('C', 'D')
