-- id: round_amounts
-- title: 大额整数支付 | Large round-number payments
-- category: 合规
-- datasets: payments
-- severity: 蓝
-- params: min_amount = 100000, unit = 10000
-- key: agency_code
-- message: {subject}本月有{value}笔{expected}元以上的整数金额支付，合计{total}元 | {subject}: {value} payments of at least {expected} in exact multiples of {unit}, {total} in all
-- description: Invented or estimated payments tend to be round: payments of at least min_amount
--   that are exact multiples of `unit` 元, counted per unit and month.
SELECT agency_code AS alert_key,
       coalesce(max(agency_name), agency_code) AS subject,
       agency_code,
       count(*) AS value, $min_amount AS expected, count(*) AS difference,
       sum(amount) AS total, $unit AS unit,
       min(pay_date) AS first_date, max(pay_date) AS last_date
FROM payments
WHERE period = $period
  AND CAST(amount AS DOUBLE) >= $min_amount
  AND CAST(amount AS DOUBLE) = floor(CAST(amount AS DOUBLE) / $unit) * $unit
GROUP BY agency_code
