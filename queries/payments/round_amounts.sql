-- id: round_amounts
-- title: 大额整数支付 | Large round-number payments
-- category: 合规
-- datasets: payments
-- cadence: month
-- severity: 蓝
-- params: min_amount = 100000, unit = 10000
-- key: region_code, agency_code
-- message: {subject}本月有{value}笔{expected:money}以上、为{unit:money}整数倍的支付，合计{total} | {subject}: {value} payments of at least {expected:money} in exact multiples of {unit:money}, {total} in all
-- description: Invented or estimated payments tend to be round: payments of at least min_amount
--   元 that are exact multiples of `unit` 元, counted per region, unit and month. Amounts are
--   compared exactly (decimal remainder), never as floats.
SELECT coalesce(region_code, '') AS region_code, agency_code,
       coalesce(max(agency_name), agency_code) AS subject,
       count(*) AS value, $min_amount AS expected, count(*) AS difference,
       sum(amount) AS total, $unit AS unit,
       min(pay_date) AS first_date, max(pay_date) AS last_date
FROM payments
WHERE period = $period
  AND amount >= $min_amount
  AND amount % $unit = 0
GROUP BY coalesce(region_code, ''), agency_code
