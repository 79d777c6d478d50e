-- id: execution_payments_gap
-- title: 执行数与国库支付不符 | Execution and treasury payments disagree
-- category: 其他
-- focus: data_quality
-- budgets: general
-- stake: gap
-- datasets: budget_execution, payments
-- cadence: month
-- finding: event
-- basis: ytd
-- severity: 黄
-- params: tolerance_pct = 5, min_gap = 10000
-- key: region_code, agency_code
-- message: {subject}本月支出{month_amount}，国库支付{paid}，相差{gap}（{value}%） | {subject}: {month_amount} spent this month by the execution report, {paid} paid by the treasury: {gap} apart ({value}%)
-- description: The execution report and the treasury's payments are two records of the same
--   spending (a unit's month of 本月支出, salaries included, is what 国库集中支付 paid for it,
--   payroll included); where they disagree, one of them is wrong, or money moved outside the
--   treasury (an invented amount, a payment twice, a reversal the treasury never saw). Per region,
--   unit and month: flagged where they are more than tolerance_pct % of the larger apart and at
--   least min_gap 元 (rounding of a 万元 extract never reaches it). Units are those of the
--   execution report; a region none of whose payments are loaded for the month is not judged
--   (no treasury extract is not a treasury that paid nothing). One alert per unit and year: each
--   month that disagrees again adds itself to the alert's history (a unit whose reporting is
--   broken is one problem, not twelve).
WITH e AS (
    SELECT coalesce(region_code, '') AS region_code, agency_code,
           max(agency_name) AS agency_name, max(dept_name) AS dept_name,
           sum(month_amount) AS month_amount
    FROM budget_execution
    WHERE period = $period AND is_detail AND agency_code IS NOT NULL
    GROUP BY coalesce(region_code, ''), agency_code
    HAVING count(month_amount) > 0
), p AS (
    SELECT coalesce(region_code, '') AS region_code, agency_code, sum(amount) AS paid, count(*) AS payments
    FROM payments
    WHERE period = $period
    GROUP BY coalesce(region_code, ''), agency_code
), paying AS (
    SELECT DISTINCT coalesce(region_code, '') AS region_code FROM payments WHERE period = $period
), j AS (
    SELECT e.*, coalesce(p.paid, 0) AS paid, coalesce(p.payments, 0) AS payments,
           abs(e.month_amount - coalesce(p.paid, 0)) AS gap,
           CASE WHEN abs(e.month_amount) > abs(coalesce(p.paid, 0)) THEN abs(e.month_amount) ELSE abs(coalesce(p.paid, 0)) END AS larger
    FROM e JOIN paying ON paying.region_code = e.region_code
    LEFT JOIN p ON p.region_code = e.region_code AND p.agency_code = e.agency_code
), r AS (
    SELECT *, 100.0 * CAST(gap AS DOUBLE) / CAST(larger AS DOUBLE) AS gap_pct
    FROM j WHERE larger > 0 AND gap >= $min_gap
)
SELECT region_code, agency_code,
       coalesce(agency_name, agency_code) AS subject,
       dept_name,
       round(gap_pct, CASE WHEN round(gap_pct, 1) <> $tolerance_pct THEN 1 WHEN round(gap_pct, 2) <> $tolerance_pct THEN 2 ELSE 4 END) AS value,
       $tolerance_pct AS expected,
       round(gap_pct - $tolerance_pct, CASE WHEN round(gap_pct, 1) <> $tolerance_pct THEN 1 WHEN round(gap_pct, 2) <> $tolerance_pct THEN 2 ELSE 4 END) AS difference,
       month_amount, paid, payments, gap
FROM r
WHERE gap_pct > $tolerance_pct
