-- id: split_payment
-- title: 疑似拆分支付 | Payments split to stay under an approval threshold
-- category: 合规
-- datasets: payments
-- cadence: month
-- severity: 橙
-- params: threshold = 200000, band_pct = 10, window_days = 7, min_count = 3
-- key: region_code, agency_code, payee
-- message: {subject}在{window_days}天内向{payee}支付{value}笔、合计{total}，每笔略低于{expected:money} | {subject} paid {payee} {value} times within {window_days} days, {total} in all, each just under {expected:money}
-- description: min_count or more payments by one unit to one payee within window_days, each
--   within band_pct below the threshold that would need a higher approval or a tender. Amounts
--   are compared exactly as decimals: 180,000.00 is in a 10 % band under 200,000, 179,999.99 is
--   not.
WITH near AS (
    SELECT coalesce(region_code, '') AS region_code, agency_code, agency_name, payee, amount, pay_date,
           CAST(date_part('epoch', pay_date) / 86400 AS BIGINT) AS day
    FROM payments
    WHERE period = $period
      AND amount < $threshold
      AND amount * 100 >= $threshold * (100 - $band_pct)
), runs AS (
    SELECT a.region_code, a.agency_code, a.payee, a.day AS start_day,
           count(*) AS n, sum(b.amount) AS total, max(a.agency_name) AS agency_name,
           min(b.pay_date) AS first_date, max(b.pay_date) AS last_date
    FROM near a JOIN near b
      ON a.region_code = b.region_code AND a.agency_code = b.agency_code AND a.payee = b.payee
     AND b.day - a.day BETWEEN 0 AND $window_days
    GROUP BY a.region_code, a.agency_code, a.payee, a.day
), best AS (
    SELECT *, row_number() OVER (PARTITION BY region_code, agency_code, payee ORDER BY n DESC, start_day) AS rn
    FROM runs WHERE n >= $min_count
)
SELECT region_code, agency_code, payee,
       coalesce(agency_name, agency_code) AS subject,
       n AS value, $threshold AS expected, n - $min_count AS difference,
       total, first_date, last_date, $window_days AS window_days
FROM best
WHERE rn = 1
