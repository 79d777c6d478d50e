-- id: year_end_rush
-- title: 年底突击花钱 | Year-end rush
-- category: 流速
-- datasets: budget_execution
-- severity: 黄
-- params: max_share_pct = 50
-- key: agency_code, project_code
-- message: {subject}11-12月支出占全年{value}%（阈值{expected}%） | {subject} spent {value}% of its year in November and December (threshold {expected}%)
-- description: Project spending in November and December as a share of the year, from the
--   December extract (December 累计 less October 累计). Names are looked up only for the
--   projects that fire.
WITH dec AS (
    SELECT agency_code, project_code, CAST(sum(ytd_amount) AS DOUBLE) AS year_total
    FROM budget_execution
    WHERE period = $period AND $month = 12 AND is_detail AND project_code IS NOT NULL
    GROUP BY agency_code, project_code
), oct AS (
    SELECT agency_code, project_code, CAST(sum(ytd_amount) AS DOUBLE) AS to_october
    FROM budget_execution
    WHERE period = CAST($year AS VARCHAR) || '-10' AND is_detail AND project_code IS NOT NULL
    GROUP BY agency_code, project_code
), hit AS (
    SELECT dec.agency_code, dec.project_code, dec.year_total, oct.to_october,
           100.0 * (dec.year_total - oct.to_october) / dec.year_total AS share
    FROM dec JOIN oct ON dec.agency_code = oct.agency_code AND dec.project_code = oct.project_code
    WHERE dec.year_total > 0 AND 100.0 * (dec.year_total - oct.to_october) / dec.year_total > $max_share_pct
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
       round(share, 1) AS value,
       $max_share_pct AS expected,
       round(share - $max_share_pct, 1) AS difference,
       year_total, to_october
FROM hit JOIN names ON hit.agency_code = names.agency_code AND hit.project_code = names.project_code
