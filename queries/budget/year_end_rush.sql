-- id: year_end_rush
-- title: 年底突击花钱 | Year-end rush
-- category: 流速
-- datasets: budget_execution
-- severity: 黄
-- params: max_share_pct = 50
-- key: agency_code, project_code
-- message: {subject}11-12月支出占全年{value}%（阈值{expected}%） | {subject} spent {value}% of its year in November and December (threshold {expected}%)
-- description: Project spending in November and December as a share of the year, from the
--   December extract (December 累计 less October 累计).
WITH dec AS (
    SELECT agency_code, project_code, max(agency_name) AS agency_name, max(dept_name) AS dept_name,
           max(project_name) AS project_name, CAST(sum(ytd_amount) AS DOUBLE) AS year_total
    FROM budget_execution
    WHERE period = $period AND $month = 12 AND is_detail AND project_code IS NOT NULL
    GROUP BY agency_code, project_code
), oct AS (
    SELECT agency_code, project_code, CAST(sum(ytd_amount) AS DOUBLE) AS to_october
    FROM budget_execution
    WHERE period = CAST($year AS VARCHAR) || '-10' AND is_detail AND project_code IS NOT NULL
    GROUP BY agency_code, project_code
)
SELECT dec.agency_code || '|' || dec.project_code AS alert_key,
       dec.agency_name || ' ' || coalesce(dec.project_name, dec.project_code) AS subject,
       dec.agency_code, dec.dept_name, dec.project_code,
       round(100.0 * (dec.year_total - oct.to_october) / dec.year_total, 1) AS value,
       $max_share_pct AS expected,
       round(100.0 * (dec.year_total - oct.to_october) / dec.year_total - $max_share_pct, 1) AS difference,
       dec.year_total, oct.to_october
FROM dec JOIN oct ON dec.agency_code = oct.agency_code AND dec.project_code = oct.project_code
WHERE dec.year_total > 0 AND 100.0 * (dec.year_total - oct.to_october) / dec.year_total > $max_share_pct
