-- id: budget_adjustment
-- title: 预算调整幅度大 | Large budget adjustment
-- category: 流量
-- datasets: budget_execution
-- cadence: month
-- finding: state
-- basis: ytd
-- severity: 蓝
-- params: max_change_pct = 30
-- key: region_code, agency_code, project_code
-- message: {subject}调整后预算{adjusted_budget}，比年初预算{initial_budget}变动{value}%（阈值{expected}%） | {subject}: adjusted budget {adjusted_budget}, {value}% away from the initial {initial_budget} (threshold {expected}%)
-- description: Projects whose adjusted budget moved far from the budget the congress approved
--   at the start of the year (年初预算), up or down. Names are looked up only for the projects
--   that fire.
WITH p AS (
    SELECT region_code, agency_code, project_code,
           sum(initial_budget) AS initial_budget, sum(adjusted_budget) AS adjusted_budget
    FROM budget_execution
    WHERE period = $period AND is_detail AND project_code IS NOT NULL
    GROUP BY region_code, agency_code, project_code
), hit AS (
    SELECT *, 100.0 * CAST(adjusted_budget - initial_budget AS DOUBLE) / CAST(initial_budget AS DOUBLE) AS change
    FROM p
    WHERE initial_budget > 0
      AND abs(100.0 * CAST(adjusted_budget - initial_budget AS DOUBLE) / CAST(initial_budget AS DOUBLE)) > $max_change_pct
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
       $max_change_pct AS expected,
       round(abs(change) - $max_change_pct, 1) AS difference,
       hit.initial_budget, hit.adjusted_budget
FROM hit LEFT JOIN names
  ON coalesce(hit.region_code, '') = coalesce(names.region_code, '')
 AND hit.agency_code = names.agency_code AND hit.project_code = names.project_code
