-- id: no_budget
-- title: 无预算支出 | Payment with no budget line
-- category: 合规
-- datasets: payments, budget_execution
-- severity: 红
-- key: voucher_no
-- message: {subject}于{pay_date}向{payee}支付{value}元，无对应预算指标 | {subject} paid {value} to {payee} on {pay_date} with no budget line behind it
-- description: 《预算法》: no spending outside the budget. A payment without a quota (指标编号),
--   or charged to a project the unit has no budget line for this year.
SELECT coalesce(p.voucher_no, p.agency_code || '|' || CAST(p.pay_date AS VARCHAR) || '|' || p.payee || '|' || CAST(p.amount AS VARCHAR)) AS alert_key,
       coalesce(p.agency_name, p.agency_code) AS subject,
       p.agency_code,
       p.amount AS value,
       CAST(NULL AS VARCHAR) AS expected,
       p.amount AS difference,
       p.pay_date, p.payee, p.purpose, p.project_code, p.quota_id
FROM payments p
WHERE p.period = $period
  AND (p.quota_id IS NULL
       OR (p.project_code IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM budget_execution b
            WHERE b.period = $period AND b.agency_code = p.agency_code AND b.project_code = p.project_code)))
