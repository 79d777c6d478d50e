-- id: vague_economic_code
-- title: 其他类支出占比过高 | Too much spending under "other" economic codes
-- category: 合规
-- focus: structure
-- budgets: general
-- stake: other_amount
-- datasets: budget_execution
-- cadence: month
-- finding: state
-- basis: ytd
-- severity: 蓝
-- params: max_share_pct = 20
-- key: region_code, agency_code, project_code
-- message: {subject}“其他”经济分类支出{other_amount}，占{value}%（阈值{expected}%） | {subject}: {other_amount} or {value}% of spending under "other" economic codes (threshold {expected}%)
-- description: Share of the x99 ("其他…支出") department economic codes in a unit's spending,
--   per project (basic expenditure, without a project, counts as one group). Vague codes hide
--   what money is for. Names are looked up only for the units that fire.
WITH g AS (
    SELECT region_code, agency_code, coalesce(project_code, '') AS project_code,
           sum(CASE WHEN dept_econ_code LIKE '%99' THEN ytd_amount ELSE 0 END) AS other_amount,
           sum(ytd_amount) AS total_amount
    FROM budget_execution
    WHERE period = $period AND is_detail AND dept_econ_code IS NOT NULL
    GROUP BY region_code, agency_code, coalesce(project_code, '')
), hit AS (
    SELECT *, 100.0 * CAST(other_amount AS DOUBLE) / CAST(total_amount AS DOUBLE) AS share
    FROM g WHERE total_amount > 0 AND 100.0 * CAST(other_amount AS DOUBLE) / CAST(total_amount AS DOUBLE) > $max_share_pct
), shown AS (
    -- One more decimal where rounding would read as the threshold itself (19.96 % against a 20 % line reads 19.96 %, never 20.0 %).
    SELECT *, CASE WHEN round(share, 1) <> $max_share_pct THEN 1 WHEN round(share, 2) <> $max_share_pct THEN 2 WHEN round(share, 3) <> $max_share_pct THEN 3 ELSE 4 END AS digits FROM hit
), names AS (
    SELECT b.region_code, b.agency_code, max(b.agency_name) AS agency_name, max(b.dept_name) AS dept_name
    FROM budget_execution b
    WHERE b.period = $period AND b.agency_code IN (SELECT agency_code FROM hit)
    GROUP BY b.region_code, b.agency_code
)
SELECT hit.region_code, hit.agency_code, hit.project_code,
       coalesce(names.agency_name, hit.agency_code) AS subject, names.dept_name,
       round(share, digits) AS value,
       $max_share_pct AS expected,
       round(share - $max_share_pct, digits) AS difference,
       other_amount, total_amount
FROM shown AS hit LEFT JOIN names
  ON coalesce(hit.region_code, '') = coalesce(names.region_code, '') AND hit.agency_code = names.agency_code
