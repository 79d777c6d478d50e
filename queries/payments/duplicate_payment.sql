-- id: duplicate_payment
-- title: 疑似重复支付 | Possible duplicate payment
-- category: 合规
-- datasets: payments
-- severity: 橙
-- params: window_days = 7
-- key: agency_code, payee, amount, pay_date
-- message: {subject}在{window_days}天内两次向{payee}支付{value}元（{first_date}、{pay_date}） | {subject} paid {payee} {value} twice within {window_days} days ({first_date}, {pay_date})
-- description: Two payments by one unit to the same payee of the same amount within window_days
--   (at most 28: the earlier one may fall in the previous month). The later payment, made this
--   month, is the finding; the earlier is shown beside it.
WITH b AS (
    SELECT agency_code, agency_name, payee, amount, pay_date, voucher_no, purpose,
           CAST(date_part('epoch', pay_date) / 86400 AS BIGINT) AS day
    FROM payments
    WHERE period = $period
), a AS (
    -- Only what can pair with this month: from window_days before its first day.
    SELECT agency_code, payee, amount, pay_date, voucher_no,
           CAST(date_part('epoch', pay_date) / 86400 AS BIGINT) AS day
    FROM payments
    WHERE period IN ($prev_period, $period)
      AND date_part('epoch', pay_date) >= date_part('epoch', CAST($period || '-01' AS DATE)) - $window_days * 86400
)
SELECT b.agency_code || '|' || b.payee || '|' || CAST(b.amount AS VARCHAR) || '|' || CAST(b.pay_date AS VARCHAR) AS alert_key,
       coalesce(b.agency_name, b.agency_code) AS subject,
       b.agency_code, b.payee, b.amount AS value, a.amount AS expected, b.day - a.day AS difference,
       $window_days AS window_days,
       a.pay_date AS first_date, a.voucher_no AS first_voucher, b.pay_date, b.voucher_no, b.purpose
FROM a JOIN b
  ON a.agency_code = b.agency_code AND a.payee = b.payee AND a.amount = b.amount
 AND b.day - a.day BETWEEN 0 AND $window_days
 AND coalesce(a.voucher_no, '') < coalesce(b.voucher_no, '')
