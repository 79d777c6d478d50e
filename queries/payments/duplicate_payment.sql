-- id: duplicate_payment
-- title: 疑似重复支付 | Possible duplicate payment
-- category: 合规
-- focus: department
-- budgets: general
-- stake: value
-- datasets: payments
-- cadence: month
-- finding: event
-- basis: month
-- severity: 橙
-- params: window_days = 7
-- key: region_code, agency_code, payee, payment
-- message: {subject}两次向{payee}支付{value}，相隔{difference}天（{first_date} 凭证{first_voucher}，{pay_date} 凭证{voucher_no}） | {subject} paid {payee} {value} twice, {difference} days apart ({first_date} voucher {first_voucher}, {pay_date} voucher {voucher_no})
-- description: Two payments by one unit of one region to the same payee of the same amount
--   within window_days (at most 28: the earlier may fall in the previous month). The later
--   payment, made this month, is the finding, paired with the nearest earlier one. "Earlier" is
--   the payment date, then the order of the rows in their files (load, row): never the voucher
--   text, so blank vouchers pair and V9 comes before V10. A payment's identity is its voucher
--   number, or date / payee / amount where the voucher is blank, numbered #2, #3 … when repeated
--   among the payments found, so identical payments are findings of their own.
WITH b AS (
    SELECT region_code, agency_code, agency_name, payee, amount, pay_date, voucher_no, purpose, load_id, source_row,
           CAST(date_part('epoch', pay_date) / 86400 AS BIGINT) AS day
    FROM payments
    WHERE period = $period
), a AS (
    -- Only what can pair with this month: from window_days before its first day.
    SELECT region_code, agency_code, payee, amount, pay_date, voucher_no, load_id, source_row,
           CAST(date_part('epoch', pay_date) / 86400 AS BIGINT) AS day
    FROM payments
    WHERE period IN ($prev_period, $period)
      AND date_part('epoch', pay_date) >= date_part('epoch', CAST($period || '-01' AS DATE)) - $window_days * 86400
), pairs AS (
    SELECT b.region_code, b.agency_code, b.agency_name, b.payee, b.amount, b.pay_date, b.voucher_no, b.purpose,
           b.day, b.load_id, b.source_row,
           a.pay_date AS first_date, coalesce(a.voucher_no, '') AS first_voucher, b.day - a.day AS days_apart,
           row_number() OVER (PARTITION BY b.load_id, b.source_row
                              ORDER BY a.day DESC, a.load_id DESC, a.source_row DESC) AS nearest
    FROM a JOIN b
      ON a.agency_code = b.agency_code AND a.payee = b.payee AND a.amount = b.amount
     AND (a.region_code IS NOT DISTINCT FROM b.region_code)
     AND b.day - a.day BETWEEN 0 AND $window_days
     AND (a.day < b.day OR a.load_id < b.load_id OR (a.load_id = b.load_id AND a.source_row < b.source_row))
), found AS (
    SELECT *,
           CASE WHEN coalesce(voucher_no, '') = ''
                THEN CAST(pay_date AS VARCHAR) || '/' || payee || '/' || CAST(amount AS VARCHAR)
                ELSE voucher_no END AS pay_id
    FROM pairs WHERE nearest = 1
), numbered AS (
    -- Numbered among the payments found (the later of each pair): identical ones get #2, #3 ….
    SELECT *, row_number() OVER (PARTITION BY region_code, agency_code, pay_id ORDER BY day, load_id, source_row) AS occurrence
    FROM found
)
SELECT coalesce(region_code, '') AS region_code, agency_code, payee,
       pay_id || CASE WHEN occurrence > 1 THEN '#' || CAST(occurrence AS VARCHAR) ELSE '' END AS payment,
       coalesce(agency_name, agency_code) AS subject,
       amount AS value, amount AS expected, days_apart AS difference,
       $window_days AS window_days,
       first_date, first_voucher, pay_date, coalesce(voucher_no, '') AS voucher_no, purpose
FROM numbered
