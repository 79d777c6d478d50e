-- id: low_execution
-- title: 项目执行率低 | Project execution far below budget at year end
-- category: 流速
-- focus: key_spending
-- budgets: general
-- stake: adjusted_budget
-- datasets: budget_execution
-- cadence: month
-- finding: state
-- basis: annual
-- months: 12
-- severity: 黄
-- params: min_pct = 20
-- key: region_code, agency_code, project_code, year
-- message: {subject}{year}年执行{ytd_amount}，仅为预算{adjusted_budget}的{value}%（阈值{expected}%） | {subject} executed {ytd_amount} in {year}, only {value}% of its budget of {adjusted_budget} (threshold {expected}%)
-- description: Projects whose year-to-date execution is below min_pct of the adjusted budget at
--   year end (judged in December; `months` in purse.toml moves it, e.g. "11-12"). The year is in
--   the key: next year's December judges next year's execution, and this year's finding stays
--   as it is. Chronic low execution across three years needs three years of data. Names are
--   looked up only for the projects that fire.
WITH p AS (
    SELECT region_code, agency_code, project_code,
           sum(ytd_amount) AS ytd_amount, sum(adjusted_budget) AS adjusted_budget
    FROM budget_execution
    WHERE period = $period AND is_detail AND project_code IS NOT NULL
    GROUP BY region_code, agency_code, project_code
), hit AS (
    SELECT *, 100.0 * CAST(ytd_amount AS DOUBLE) / CAST(adjusted_budget AS DOUBLE) AS pct
    FROM p
    WHERE adjusted_budget > 0 AND 100.0 * CAST(ytd_amount AS DOUBLE) / CAST(adjusted_budget AS DOUBLE) < $min_pct
), shown AS (
    -- One more decimal where rounding would read as the threshold itself (19.96 % against a 20 % line reads 19.96 %, never 20.0 %).
    SELECT *, CASE WHEN round(pct, 1) <> $min_pct THEN 1 WHEN round(pct, 2) <> $min_pct THEN 2 WHEN round(pct, 3) <> $min_pct THEN 3 ELSE 4 END AS digits FROM hit
), names AS (
    SELECT b.region_code, b.agency_code, b.project_code, max(b.agency_name) AS agency_name,
           max(b.dept_name) AS dept_name, max(b.project_name) AS project_name
    FROM budget_execution b
    WHERE b.period = $period AND b.project_code IN (SELECT project_code FROM hit)
    GROUP BY b.region_code, b.agency_code, b.project_code
)
SELECT hit.region_code, hit.agency_code, hit.project_code, $year AS year,
       coalesce(names.agency_name, hit.agency_code) || ' ' || coalesce(names.project_name, hit.project_code) AS subject,
       names.dept_name,
       round(pct, digits) AS value,
       $min_pct AS expected,
       round($min_pct - pct, digits) AS difference,
       hit.ytd_amount, hit.adjusted_budget
FROM shown AS hit LEFT JOIN names
  ON coalesce(hit.region_code, '') = coalesce(names.region_code, '')
 AND hit.agency_code = names.agency_code AND hit.project_code = names.project_code
