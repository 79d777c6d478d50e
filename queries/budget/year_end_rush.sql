-- id: year_end_rush
-- title: 年底突击花钱 | Year-end rush
-- category: 流速
-- datasets: budget_execution
-- cadence: month
-- months: 12
-- severity: 黄
-- params: max_share_pct = 50
-- key: region_code, agency_code, project_code, year
-- message: {subject}{year}年11-12月支出{rush_amount}，占全年{year_total}的{value}%（阈值{expected}%） | {subject} spent {rush_amount} in November and December {year}, {value}% of its year's {year_total} (threshold {expected}%)
-- description: Project spending in November and December as a share of the year, judged on the
--   December extract: December 累计 less October 累计. When the October extract is missing, the
--   spending to October is November 累计 less November 本月 (a month missing is no reason to
--   miss the rush); with neither, the project is not judged. The year is in the key.
WITH dec AS (
    SELECT coalesce(region_code, '') AS region_code, agency_code, project_code, sum(ytd_amount) AS year_total
    FROM budget_execution
    WHERE period = $period AND is_detail AND project_code IS NOT NULL
    GROUP BY coalesce(region_code, ''), agency_code, project_code
), oct AS (
    SELECT coalesce(region_code, '') AS region_code, agency_code, project_code, sum(ytd_amount) AS to_october
    FROM budget_execution
    WHERE period = CAST($year AS VARCHAR) || '-10' AND is_detail AND project_code IS NOT NULL
    GROUP BY coalesce(region_code, ''), agency_code, project_code
), nov AS (
    SELECT coalesce(region_code, '') AS region_code, agency_code, project_code,
           sum(ytd_amount) - sum(month_amount) AS to_october
    FROM budget_execution
    WHERE period = CAST($year AS VARCHAR) || '-11' AND is_detail AND project_code IS NOT NULL
    GROUP BY coalesce(region_code, ''), agency_code, project_code
    HAVING count(month_amount) = count(*)
), base AS (
    SELECT dec.region_code, dec.agency_code, dec.project_code, dec.year_total,
           coalesce(oct.to_october, nov.to_october) AS to_october,
           CASE WHEN oct.to_october IS NOT NULL THEN CAST($year AS VARCHAR) || '-10'
                ELSE CAST($year AS VARCHAR) || '-11' END AS base_period
    FROM dec
    LEFT JOIN oct ON dec.region_code = oct.region_code AND dec.agency_code = oct.agency_code AND dec.project_code = oct.project_code
    LEFT JOIN nov ON dec.region_code = nov.region_code AND dec.agency_code = nov.agency_code AND dec.project_code = nov.project_code
), hit AS (
    SELECT *, year_total - to_october AS rush_amount,
           100.0 * CAST(year_total - to_october AS DOUBLE) / CAST(year_total AS DOUBLE) AS share
    FROM base
    WHERE to_october IS NOT NULL AND year_total > 0
      AND 100.0 * CAST(year_total - to_october AS DOUBLE) / CAST(year_total AS DOUBLE) > $max_share_pct
), names AS (
    SELECT coalesce(b.region_code, '') AS region_code, b.agency_code, b.project_code, max(b.agency_name) AS agency_name,
           max(b.dept_name) AS dept_name, max(b.project_name) AS project_name
    FROM budget_execution b
    WHERE b.period = $period AND b.project_code IN (SELECT project_code FROM hit)
    GROUP BY coalesce(b.region_code, ''), b.agency_code, b.project_code
)
SELECT hit.region_code, hit.agency_code, hit.project_code, $year AS year,
       coalesce(names.agency_name, hit.agency_code) || ' ' || coalesce(names.project_name, hit.project_code) AS subject,
       names.dept_name,
       round(share, 1) AS value,
       $max_share_pct AS expected,
       round(share - $max_share_pct, 1) AS difference,
       rush_amount, year_total, to_october, base_period
FROM hit LEFT JOIN names
  ON hit.region_code = names.region_code AND hit.agency_code = names.agency_code AND hit.project_code = names.project_code
