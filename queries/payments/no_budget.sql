-- id: no_budget
-- title: 无预算支出 | Payment with no budget line
-- category: 合规
-- focus: department
-- budgets: general
-- stake: value
-- datasets: payments, budget_execution
-- cadence: month
-- finding: event
-- basis: month
-- severity: 红
-- key: region_code, agency_code, payment
-- message: {subject}于{pay_date}向{payee}支付{value}，{problem} | {subject} paid {value} to {payee} on {pay_date}: {problem_en}
-- description: 《预算法》 §13: no spending outside the budget. A payment without a quota (指标编号),
--   or charged to a project the unit has no budget line for in the month's execution extract.
--   Only payments of regions whose execution extract for the month is loaded are judged: until
--   it arrives nothing can be said (the rule is not evaluated when no region has one). A
--   payment's identity is its voucher number, or date / payee / amount where the voucher is
--   blank, numbered #2, #3 … when repeated among the payments that fire.
WITH lines AS (
    -- A project's budget line for the unit; a line whose budget is zero (a code kept open with
    -- nothing approved on it) budgets nothing; an extract without budget figures says nothing
    -- either way, so its lines count as budgeted.
    SELECT region_code, agency_code, project_code,
           coalesce(sum(coalesce(adjusted_budget, initial_budget)), 1) > 0 AS funded
    FROM budget_execution
    WHERE period = $period AND project_code IS NOT NULL
    GROUP BY region_code, agency_code, project_code
), unbudgeted AS (
    SELECT p.region_code, p.agency_code, p.agency_name, p.payee, p.amount, p.pay_date,
           p.voucher_no, p.purpose, p.project_code, p.quota_id, p.load_id, p.source_row,
           coalesce(p.quota_id, '') = '' AS no_quota,
           l.project_code IS NOT NULL AS has_line
    FROM payments p
    LEFT JOIN lines l
      ON l.agency_code = p.agency_code AND l.project_code = p.project_code
     AND (l.region_code IS NOT DISTINCT FROM p.region_code)
    WHERE p.period = $period
      AND (coalesce(p.quota_id, '') = ''
           OR (p.project_code IS NOT NULL AND NOT coalesce(l.funded, false)))
), judged AS (
    -- Only where the region's execution extract for the month is loaded.
    SELECT coalesce(u.region_code, '') AS region_code, u.agency_code, u.agency_name, u.payee, u.amount, u.pay_date,
           u.voucher_no, u.purpose, u.project_code, u.quota_id, u.load_id, u.source_row, u.no_quota, u.has_line
    FROM unbudgeted u
    WHERE coalesce(u.region_code, '') IN (
        SELECT DISTINCT coalesce(region_code, '') FROM budget_execution WHERE period = $period)
), ids AS (
    -- Identities for the payments that fire only (a handful, not the month's payments).
    SELECT *,
           CASE WHEN coalesce(voucher_no, '') = ''
                THEN CAST(pay_date AS VARCHAR) || '/' || payee || '/' || CAST(amount AS VARCHAR)
                ELSE voucher_no END AS pay_id
    FROM judged
), numbered AS (
    SELECT *, row_number() OVER (PARTITION BY region_code, agency_code, pay_id ORDER BY pay_date, load_id, source_row) AS occurrence
    FROM ids
)
SELECT region_code, agency_code,
       pay_id || CASE WHEN occurrence > 1 THEN '#' || CAST(occurrence AS VARCHAR) ELSE '' END AS payment,
       coalesce(agency_name, agency_code) AS subject,
       amount AS value,
       CAST(NULL AS VARCHAR) AS expected,
       amount AS difference,
       CASE WHEN no_quota THEN '无对应预算指标（指标编号为空）'
            WHEN has_line THEN '项目' || project_code || '在本月预算执行中预算数为零'
            ELSE '项目' || project_code || '在本月预算执行中无预算' END AS problem,
       CASE WHEN no_quota THEN 'no budget quota (指标编号) behind it'
            WHEN has_line THEN 'project ' || project_code || ' has a budget of zero this month'
            ELSE 'project ' || project_code || ' has no budget line this month' END AS problem_en,
       pay_date, payee, purpose, project_code, quota_id, voucher_no
FROM numbered
