-- id: split_payment
-- title: 疑似拆分支付 | Payments split to stay under an approval threshold
-- category: 合规
-- focus: department
-- budgets: general
-- stake: total
-- datasets: payments
-- cadence: month
-- finding: event
-- basis: month
-- severity: 橙
-- params: threshold = 200000, band_pct = 10, window_days = 7, min_count = 3
-- key: region_code, agency_code, payee
-- evidence: pay_date, voucher_no, amount
-- tally: value = count, total = sum(amount)
-- message: {subject}在{window_days}天内向{payee}支付{value}笔、合计{total}，每笔略低于{expected:money} | {subject} paid {payee} {value} times within {window_days} days, {total} in all, each just under {expected:money}
-- description: min_count or more payments by one unit to one payee within window_days, each
--   within band_pct below the threshold that would need a higher approval or a tender. Amounts
--   are compared exactly as decimals: 180,000.00 is in a 10 % band under 200,000, 179,999.99 is
--   not. Each payment of this month ends a run: the payments before it within window_days (into
--   last month: a run does not stop at month end); the largest run per payee is the finding, and
--   its payments, each once, are its evidence rows (two same-day payments are two, not the four
--   pairs of a self-join).
WITH near AS (
    SELECT coalesce(region_code, '') AS region_code, agency_code, agency_name, payee, amount, pay_date,
           coalesce(voucher_no, '') AS voucher_no, period, load_id, source_row,
           CAST(date_part('epoch', pay_date) / 86400 AS BIGINT) AS day
    FROM payments
    WHERE period IN ($prev_period, $period)
      AND amount < $threshold
      AND amount * 100 >= $threshold * (100 - $band_pct)
), runs AS (
    -- Each payment `a` of this month and the payments `b` up to window_days before it (the same
    -- day included): one row per payment `b`, so a count is a count of payments.
    SELECT a.region_code, a.agency_code, a.payee, a.load_id AS end_load, a.source_row AS end_row, a.day AS end_day,
           count(*) AS n, sum(b.amount) AS total, max(b.agency_name) AS agency_name,
           min(b.pay_date) AS first_date, max(b.pay_date) AS last_date
    FROM near a JOIN near b
      ON a.region_code = b.region_code AND a.agency_code = b.agency_code AND a.payee = b.payee
     AND a.day - b.day BETWEEN 0 AND $window_days
    WHERE a.period = $period
    GROUP BY a.region_code, a.agency_code, a.payee, a.load_id, a.source_row, a.day
), best AS (
    SELECT *, row_number() OVER (PARTITION BY region_code, agency_code, payee
                                 ORDER BY n DESC, end_day DESC, end_load DESC, end_row DESC) AS rn
    FROM runs WHERE n >= $min_count
)
SELECT best.region_code, best.agency_code, best.payee,
       coalesce(best.agency_name, best.agency_code) AS subject,
       best.n AS value, $threshold AS expected, best.n - $min_count AS difference,
       best.total, best.first_date, best.last_date, $window_days AS window_days,
       b.pay_date, b.voucher_no, b.amount
FROM best JOIN near b
  ON best.region_code = b.region_code AND best.agency_code = b.agency_code AND best.payee = b.payee
 AND best.end_day - b.day BETWEEN 0 AND $window_days
WHERE best.rn = 1
