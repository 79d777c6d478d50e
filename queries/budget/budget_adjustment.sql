-- id: budget_adjustment
-- title: 预算调整幅度大 | Large budget adjustment
-- category: 流量
-- datasets: budget_execution
-- severity: 蓝
-- params: max_change_pct = 30
-- key: agency_code, project_code
-- message: {subject}调整后预算比年初变动{value}%（阈值{expected}%） | {subject}: adjusted budget {value}% away from the initial one (threshold {expected}%)
-- description: Projects whose adjusted budget moved far from the budget the congress approved
--   at the start of the year (年初预算). Names are looked up only for the projects that fire.
WITH p AS (
    SELECT agency_code, project_code,
           sum(initial_budget) AS initial_budget, sum(adjusted_budget) AS adjusted_budget,
           CAST(sum(initial_budget) AS DOUBLE) AS initial, CAST(sum(adjusted_budget) AS DOUBLE) AS adjusted
    FROM budget_execution
    WHERE period = $period AND is_detail AND project_code IS NOT NULL
    GROUP BY agency_code, project_code
), hit AS (
    SELECT * FROM p WHERE initial > 0 AND abs(100.0 * (adjusted - initial) / initial) > $max_change_pct
), names AS (
    SELECT hit.agency_code, hit.project_code, max(b.agency_name) AS agency_name,
           max(b.dept_name) AS dept_name, max(b.project_name) AS project_name
    FROM hit JOIN budget_execution b ON b.agency_code = hit.agency_code AND b.project_code = hit.project_code
    WHERE b.period = $period
    GROUP BY hit.agency_code, hit.project_code
)
SELECT hit.agency_code || '|' || hit.project_code AS alert_key,
       names.agency_name || ' ' || coalesce(names.project_name, hit.project_code) AS subject,
       hit.agency_code, names.dept_name, hit.project_code,
       round(100.0 * (adjusted - initial) / initial, 1) AS value,
       $max_change_pct AS expected,
       round(abs(100.0 * (adjusted - initial) / initial) - $max_change_pct, 1) AS difference,
       initial_budget, adjusted_budget
FROM hit JOIN names ON hit.agency_code = names.agency_code AND hit.project_code = names.project_code
