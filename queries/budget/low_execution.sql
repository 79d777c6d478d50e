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
--   Names are looked up only for the projects that fire.
WITH p AS (
    SELECT agency_code, project_code,
           sum(ytd_amount) AS ytd_amount, sum(adjusted_budget) AS adjusted_budget,
           CAST(sum(ytd_amount) AS DOUBLE) AS spent, CAST(sum(adjusted_budget) AS DOUBLE) AS budget
    FROM budget_execution
    WHERE period = $period AND is_detail AND project_code IS NOT NULL AND $month >= $from_month
    GROUP BY agency_code, project_code
), hit AS (
    SELECT * FROM p WHERE budget > 0 AND 100.0 * spent / budget < $min_pct
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
       round(100.0 * spent / budget, 1) AS value,
       $min_pct AS expected,
       round($min_pct - 100.0 * spent / budget, 1) AS difference,
       ytd_amount, adjusted_budget
FROM hit JOIN names ON hit.agency_code = names.agency_code AND hit.project_code = names.project_code
