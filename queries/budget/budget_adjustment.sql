-- id: budget_adjustment
-- title: 预算调整幅度大 | Large budget adjustment
-- category: 流量
-- datasets: budget_execution
-- severity: 蓝
-- params: max_change_pct = 30
-- key: agency_code, project_code
-- message: {subject}调整后预算比年初变动{value}%（阈值{expected}%） | {subject}: adjusted budget {value}% away from the initial one (threshold {expected}%)
-- description: Projects whose adjusted budget moved far from the budget the congress approved
--   at the start of the year (年初预算).
WITH p AS (
    SELECT agency_code, project_code, max(agency_name) AS agency_name, max(dept_name) AS dept_name,
           max(project_name) AS project_name,
           CAST(sum(initial_budget) AS DOUBLE) AS initial, CAST(sum(adjusted_budget) AS DOUBLE) AS adjusted
    FROM budget_execution
    WHERE period = $period AND is_detail AND project_code IS NOT NULL
    GROUP BY agency_code, project_code
)
SELECT agency_code || '|' || project_code AS alert_key,
       agency_name || ' ' || coalesce(project_name, project_code) AS subject,
       agency_code, dept_name, project_code,
       round(100.0 * (adjusted - initial) / initial, 1) AS value,
       $max_change_pct AS expected,
       round(abs(100.0 * (adjusted - initial) / initial) - $max_change_pct, 1) AS difference,
       initial AS initial_budget, adjusted AS adjusted_budget
FROM p
WHERE initial > 0 AND abs(100.0 * (adjusted - initial) / initial) > $max_change_pct
