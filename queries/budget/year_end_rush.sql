-- id: year_end_rush
-- title: 年底突击花钱 | Year-end rush
-- category: 流速
-- focus: structure
-- budgets: general
-- stake: rush_amount
-- datasets: budget_execution
-- cadence: month
-- finding: state
-- basis: annual
-- months: 12
-- severity: 黄
-- params: max_share_pct = 50
-- key: region_code, agency_code, project_code, year
-- message: {subject}{year}年11-12月支出{rush_amount}，占全年{year_total}的{value}%（阈值{expected}%） | {subject} spent {rush_amount} in November and December {year}, {value}% of its year's {year_total} (threshold {expected}%)
-- description: Project spending in November and December as a share of the year, judged on the
--   December extract: December 累计 less October 累计. When the October extract is missing, the
--   spending to October is November 累计 less November 本月 (a month missing is no reason to
--   miss the rush); with neither, the project is not judged. The year is in the key.
WITH m AS (
    -- December, October and November in one pass over the three extracts.
    SELECT coalesce(region_code, '') AS region_code, agency_code, project_code,
           sum(CASE WHEN period = $period THEN ytd_amount END) AS year_total,
           sum(CASE WHEN period = CAST($year AS VARCHAR) || '-10' THEN ytd_amount END) AS oct_ytd,
           sum(CASE WHEN period = CAST($year AS VARCHAR) || '-11' THEN ytd_amount - month_amount END) AS nov_base,
           count(CASE WHEN period = CAST($year AS VARCHAR) || '-11' THEN 1 END) AS nov_rows,
           count(CASE WHEN period = CAST($year AS VARCHAR) || '-11' AND month_amount IS NOT NULL THEN 1 END) AS nov_known
    FROM budget_execution
    WHERE period IN ($period, CAST($year AS VARCHAR) || '-10', CAST($year AS VARCHAR) || '-11')
      AND is_detail AND project_code IS NOT NULL
    GROUP BY coalesce(region_code, ''), agency_code, project_code
), base AS (
    SELECT region_code, agency_code, project_code, year_total,
           coalesce(oct_ytd, CASE WHEN nov_rows > 0 AND nov_known = nov_rows THEN nov_base END) AS to_october,
           CASE WHEN oct_ytd IS NOT NULL THEN CAST($year AS VARCHAR) || '-10'
                ELSE CAST($year AS VARCHAR) || '-11' END AS base_period
    FROM m
    WHERE year_total IS NOT NULL
), hit AS (
    SELECT *, year_total - to_october AS rush_amount,
           100.0 * CAST(year_total - to_october AS DOUBLE) / CAST(year_total AS DOUBLE) AS share
    FROM base
    WHERE to_october IS NOT NULL AND year_total > 0
      AND 100.0 * CAST(year_total - to_october AS DOUBLE) / CAST(year_total AS DOUBLE) > $max_share_pct
), shown AS (
    -- One more decimal where rounding would read as the threshold itself (19.96 % against a 20 % line reads 19.96 %, never 20.0 %).
    SELECT *, CASE WHEN round(share, 1) <> $max_share_pct THEN 1 WHEN round(share, 2) <> $max_share_pct THEN 2 WHEN round(share, 3) <> $max_share_pct THEN 3 ELSE 4 END AS digits FROM hit
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
       round(share, digits) AS value,
       $max_share_pct AS expected,
       round(share - $max_share_pct, digits) AS difference,
       rush_amount, year_total, to_october, base_period
FROM shown AS hit LEFT JOIN names
  ON hit.region_code = names.region_code AND hit.agency_code = names.agency_code AND hit.project_code = names.project_code
