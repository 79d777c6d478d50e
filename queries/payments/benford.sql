-- id: benford
-- title: 支付金额首位数字异常 | Payment amounts off Benford's law
-- category: 其他
-- datasets: payments, budget_execution
-- severity: 黄
-- params: max_mad = 0.015, min_count = 1000, min_amount = 10
-- key: dept_name
-- message: {subject}年内{n}笔支付的首位数字分布偏离本福特定律（MAD {value}，阈值{expected}） | {subject}: first digits of {n} payments this year deviate from Benford's law (MAD {value}, threshold {expected})
-- description: Nigrini's mean absolute deviation of first-digit shares from log10(1 + 1/d), per
--   department over the year to date, where a department has at least min_count payments.
WITH dept AS (
    SELECT DISTINCT agency_code, dept_name FROM budget_execution WHERE year = $year AND dept_name IS NOT NULL
), p AS (
    SELECT d.dept_name,
           CAST(substr(CAST(CAST(floor(CAST(pay.amount AS DOUBLE)) AS BIGINT) AS VARCHAR), 1, 1) AS BIGINT) AS digit
    FROM payments pay JOIN dept d ON pay.agency_code = d.agency_code
    WHERE pay.period <= $period AND substr(pay.period, 1, 4) = CAST($year AS VARCHAR)
      AND CAST(pay.amount AS DOUBLE) >= $min_amount
), counts AS (
    SELECT dept_name, digit, count(*) AS c FROM p GROUP BY dept_name, digit
), totals AS (
    SELECT dept_name, sum(c) AS n FROM counts GROUP BY dept_name
), digits AS (
    SELECT totals.dept_name, totals.n, d.digit
    FROM totals CROSS JOIN (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9)) AS d(digit)
), dev AS (
    SELECT digits.dept_name, digits.n,
           abs(CAST(coalesce(counts.c, 0) AS DOUBLE) / CAST(digits.n AS DOUBLE) - log10(1.0 + 1.0 / digits.digit)) AS d
    FROM digits LEFT JOIN counts ON counts.dept_name = digits.dept_name AND counts.digit = digits.digit
), mad AS (
    SELECT dept_name, max(n) AS n, avg(d) AS mad FROM dev GROUP BY dept_name
)
SELECT dept_name AS alert_key, dept_name AS subject, dept_name,
       round(mad, 4) AS value, $max_mad AS expected, round(mad - $max_mad, 4) AS difference, n
FROM mad
WHERE n >= $min_count AND mad > $max_mad
