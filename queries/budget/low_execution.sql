-- id: low_execution
-- title: 项目执行率低 | Project execution far below budget at year end
-- category: 流速
-- datasets: budget_execution
-- severity: 黄
-- params: min_pct = 20, from_month = 12
-- key: agency_code, project_code
-- message: {subject}全年执行率仅{value}%（阈值{expected}%） | {subject} executed only {value}% of its budget (threshold {expected}%)
-- description: Projects whose year-to-date execution is below min_pct once the year is (nearly)
--   over (from_month on). Chronic low execution across three years needs three years of data.
WITH p AS (
    SELECT agency_code, project_code,
           max(agency_name) AS agency_name, max(dept_name) AS dept_name, max(project_name) AS project_name,
           CAST(sum(ytd_amount) AS DOUBLE) AS spent,
           CAST(sum(adjusted_budget) AS DOUBLE) AS budget
    FROM budget_execution
    WHERE period = $period AND is_detail AND project_code IS NOT NULL AND $month >= $from_month
    GROUP BY agency_code, project_code
    HAVING sum(adjusted_budget) > 0
)
SELECT agency_code || '|' || project_code AS alert_key,
       agency_name || ' ' || coalesce(project_name, project_code) AS subject,
       agency_code, dept_name, project_code,
       round(100.0 * spent / budget, 1) AS value,
       $min_pct AS expected,
       round($min_pct - 100.0 * spent / budget, 1) AS difference,
       spent AS ytd_amount, budget AS adjusted_budget
FROM p
WHERE 100.0 * spent / budget < $min_pct
