-- id: vague_economic_code
-- title: 其他类支出占比过高 | Too much spending under "other" economic codes
-- category: 合规
-- datasets: budget_execution
-- severity: 蓝
-- params: max_share_pct = 20
-- key: agency_code, project_code
-- message: {subject}“其他”经济分类支出占{value}%（阈值{expected}%） | {subject}: {value}% of spending under "other" economic codes (threshold {expected}%)
-- description: Share of the x99 ("其他…支出") department economic codes in a unit's spending,
--   per project (basic expenditure counts as one group). Vague codes hide what money is for.
--   Names are looked up only for the units that fire.
WITH g AS (
    SELECT agency_code, coalesce(project_code, '') AS project_code,
           CAST(sum(CASE WHEN dept_econ_code LIKE '%99' THEN ytd_amount ELSE 0 END) AS DOUBLE) AS other,
           CAST(sum(ytd_amount) AS DOUBLE) AS total
    FROM budget_execution
    WHERE period = $period AND is_detail AND dept_econ_code IS NOT NULL
    GROUP BY agency_code, coalesce(project_code, '')
), hit AS (
    SELECT * FROM g WHERE total > 0 AND 100.0 * other / total > $max_share_pct
), names AS (
    SELECT b.agency_code, max(b.agency_name) AS agency_name, max(b.dept_name) AS dept_name
    FROM budget_execution b
    WHERE b.period = $period AND b.agency_code IN (SELECT agency_code FROM hit)
    GROUP BY b.agency_code
)
SELECT hit.agency_code || '|' || hit.project_code AS alert_key,
       names.agency_name AS subject, hit.agency_code, names.dept_name, hit.project_code,
       round(100.0 * other / total, 1) AS value,
       $max_share_pct AS expected,
       round(100.0 * other / total - $max_share_pct, 1) AS difference,
       other AS other_amount, total AS total_amount
FROM hit JOIN names ON hit.agency_code = names.agency_code
