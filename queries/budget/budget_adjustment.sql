-- id: budget_adjustment
-- title: 预算调整幅度大 | Large budget adjustment
-- category: 流量
-- focus: department
-- budgets: general
-- stake: adjusted_budget
-- datasets: budget_execution
-- cadence: month
-- finding: state
-- basis: ytd
-- severity: 蓝
-- params: max_change_pct = 30
-- key: region_code, agency_code, project_code
-- message: {subject}调整后预算{adjusted_budget}，年初预算{initial_budget}，{change_zh} | {subject}: adjusted budget {adjusted_budget}, initial {initial_budget}: {change_en}
-- description: Projects whose adjusted budget moved far (more than max_change_pct) from the
--   budget the congress approved at the start of the year (年初预算), up or down, and projects
--   added during the year (年中追加: no initial budget, an adjusted one), the ones a committee
--   watches most. Names are looked up only for the projects that fire.
WITH p AS (
    SELECT region_code, agency_code, project_code,
           sum(initial_budget) AS initial_budget, sum(adjusted_budget) AS adjusted_budget
    FROM budget_execution
    WHERE period = $period AND is_detail AND project_code IS NOT NULL
    GROUP BY region_code, agency_code, project_code
), hit AS (
    SELECT *, CASE WHEN initial_budget > 0
                   THEN 100.0 * CAST(adjusted_budget - initial_budget AS DOUBLE) / CAST(initial_budget AS DOUBLE) END AS change
    FROM p
    WHERE (initial_budget > 0
           AND abs(100.0 * CAST(adjusted_budget - initial_budget AS DOUBLE) / CAST(initial_budget AS DOUBLE)) > $max_change_pct)
       OR (coalesce(initial_budget, 0) = 0 AND adjusted_budget > 0)
), names AS (
    SELECT b.region_code, b.agency_code, b.project_code, max(b.agency_name) AS agency_name,
           max(b.dept_name) AS dept_name, max(b.project_name) AS project_name
    FROM budget_execution b
    WHERE b.period = $period AND b.project_code IN (SELECT project_code FROM hit)
    GROUP BY b.region_code, b.agency_code, b.project_code
)
SELECT hit.region_code, hit.agency_code, hit.project_code,
       coalesce(names.agency_name, hit.agency_code) || ' ' || coalesce(names.project_name, hit.project_code) AS subject,
       names.dept_name,
       round(change, 1) AS value,
       CASE WHEN change IS NOT NULL THEN $max_change_pct END AS expected,
       round(abs(change) - $max_change_pct, 1) AS difference,
       CASE WHEN change IS NULL THEN '年初无预算，年中追加'
            ELSE '变动' || CAST(round(change, 1) AS VARCHAR) || '%（阈值' || CAST($max_change_pct AS VARCHAR) || '%）' END AS change_zh,
       CASE WHEN change IS NULL THEN 'added during the year (no initial budget)'
            ELSE CAST(round(change, 1) AS VARCHAR) || '% change (threshold ' || CAST($max_change_pct AS VARCHAR) || '%)' END AS change_en,
       coalesce(hit.initial_budget, 0) AS initial_budget, hit.adjusted_budget
FROM hit LEFT JOIN names
  ON coalesce(hit.region_code, '') = coalesce(names.region_code, '')
 AND hit.agency_code = names.agency_code AND hit.project_code = names.project_code
