-- id: social_insurance_gap
-- title: 社会保险基金收不抵支 | Social insurance funds paying out more than they take in
-- category: 流量
-- focus: structure
-- budgets: social_insurance
-- stake: gap
-- datasets: revenue, budget_execution
-- cadence: month
-- finding: state
-- basis: ytd
-- severity: level
-- params: max_gap_pct = 0, red_gap_pct = 10
-- key: region_code
-- message: {subject}社会保险基金累计收入{si_revenue}，支出{si_expenditure}，当期收不抵支{gap}，为收入的{value}% | {subject}: social insurance funds took in {si_revenue} and paid out {si_expenditure} to date: {gap} short, {value}% of the income
-- description: The social insurance fund budget (社会保险基金预算) is to balance from its own income:
--   per region, its expenditure year to date (budget execution's 社会保险基金预算 rows) against its
--   revenue year to date (the revenue extract's), and the shortfall as a share of the revenue.
--   Above max_gap_pct % it is yellow, from red_gap_pct % red: a fund paying out more than it takes
--   in runs down its accumulated balance (累计结余), which a later check of months of payout
--   will watch once the balances are loaded. Detail rows only; a region whose extracts lack either
--   side is not judged.
WITH rev AS (
    SELECT coalesce(region_code, '') AS region_code, max(region_name) AS region_name,
           sum(ytd_amount) AS si_revenue
    FROM revenue
    WHERE period = $period AND is_detail AND budget_kind LIKE '%社会保险%'
    GROUP BY coalesce(region_code, '')
    HAVING sum(ytd_amount) > 0
), exp AS (
    SELECT coalesce(region_code, '') AS region_code, max(region_name) AS region_name,
           sum(ytd_amount) AS si_expenditure
    FROM budget_execution
    WHERE period = $period AND is_detail AND budget_kind LIKE '%社会保险%'
    GROUP BY coalesce(region_code, '')
), r AS (
    SELECT rev.region_code, coalesce(rev.region_name, exp.region_name) AS region_name,
           rev.si_revenue, exp.si_expenditure,
           exp.si_expenditure - rev.si_revenue AS gap,
           100.0 * CAST(exp.si_expenditure - rev.si_revenue AS DOUBLE) / CAST(rev.si_revenue AS DOUBLE) AS gap_pct
    FROM rev JOIN exp ON exp.region_code = rev.region_code
)
SELECT region_code,
       coalesce(region_name, region_code) AS subject,
       CASE WHEN gap_pct >= $red_gap_pct THEN '红' ELSE '黄' END AS level,
       round(gap_pct, CASE WHEN round(gap_pct, 1) <> $max_gap_pct AND round(gap_pct, 1) <> $red_gap_pct THEN 1 WHEN round(gap_pct, 2) <> $max_gap_pct AND round(gap_pct, 2) <> $red_gap_pct THEN 2 ELSE 4 END) AS value,
       $max_gap_pct AS expected,
       round(gap_pct - $max_gap_pct, CASE WHEN round(gap_pct, 1) <> $max_gap_pct AND round(gap_pct, 1) <> $red_gap_pct THEN 1 WHEN round(gap_pct, 2) <> $max_gap_pct AND round(gap_pct, 2) <> $red_gap_pct THEN 2 ELSE 4 END) AS difference,
       gap, si_revenue, si_expenditure
FROM r
WHERE gap_pct > $max_gap_pct
