-- id: round_amounts
-- title: 大额整数支付 | Large round-number payments
-- category: 合规
-- focus: department
-- budgets: general
-- stake: total
-- datasets: payments
-- cadence: month
-- finding: event
-- basis: month
-- severity: 蓝
-- params: min_amount = 100000, unit = 10000
-- key: region_code, agency_code
-- evidence: pay_date, voucher_no, payee, amount
-- tally: value = count, difference = count, total = sum(amount)
-- message: {subject}本月有{value}笔{expected:money}以上、为{unit:money}整数倍的支付，合计{total} | {subject}: {value} payments of at least {expected:money} in exact multiples of {unit:money}, {total} in all
-- description: Invented or estimated payments tend to be round: payments of at least min_amount
--   元 that are exact multiples of `unit` 元, counted per region, unit and month. Amounts are
--   compared exactly (decimal remainder), never as floats. The payments are the
--   evidence rows.
WITH round AS (
    SELECT coalesce(region_code, '') AS region_code, agency_code, agency_name, payee, amount, pay_date,
           coalesce(voucher_no, '') AS voucher_no
    FROM payments
    WHERE period = $period
      AND amount >= $min_amount
      AND amount % $unit = 0
), unit AS (
    SELECT region_code, agency_code, coalesce(max(agency_name), agency_code) AS subject,
           count(*) AS n, sum(amount) AS total, min(pay_date) AS first_date, max(pay_date) AS last_date
    FROM round
    GROUP BY region_code, agency_code
)
SELECT unit.region_code, unit.agency_code, unit.subject,
       unit.n AS value, $min_amount AS expected, unit.n AS difference,
       unit.total, $unit AS unit, unit.first_date, unit.last_date,
       r.pay_date, r.voucher_no, r.payee, r.amount
FROM unit JOIN round r ON r.region_code = unit.region_code AND r.agency_code = unit.agency_code
