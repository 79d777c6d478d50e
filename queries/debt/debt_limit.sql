-- id: debt_limit
-- title: 债务余额超限额 | Debt balance above the approved limit
-- category: 合规
-- datasets: debt
-- severity: 红
-- key: region_code, debt_type
-- message: {subject}{debt_type}余额{value}元，超过限额{expected}元 | {subject}: {debt_type} balance {value} above its limit {expected}
SELECT region_code || '|' || debt_type AS alert_key,
       coalesce(region_name, region_code) AS subject,
       debt_type,
       debt_balance AS value,
       debt_limit AS expected,
       debt_balance - debt_limit AS difference
FROM debt
WHERE period = $period AND debt_limit IS NOT NULL AND debt_balance > debt_limit
