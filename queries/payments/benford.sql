-- id: benford
-- title: 支付金额首位数字异常 | Payment amounts off Benford's law
-- category: 其他
-- focus: department
-- budgets: general
-- datasets: payments, budget_execution
-- severity: 黄
-- params: max_mad = 0.015, min_count = 1000, min_amount = 10
-- cadence: month
-- finding: state
-- basis: ytd
-- key: region_code, dept_name
-- message: {subject}年内{n}笔支付的首位数字分布偏离本福特定律（MAD {value}，阈值{expected}） | {subject}: first digits of {n} payments this year deviate from Benford's law (MAD {value}, threshold {expected})
-- description: Nigrini's mean absolute deviation of first-digit shares from log10(1 + 1/d), per
--   department over the year to date, where a department has at least min_count payments.
--   Digits that never occur add their whole expected share: since the nine shares sum to 1,
--   MAD = (1 + Σ over digits seen of (|share − expected| − expected)) / 9, one pass over payments.
--   Per region: two regions' departments of the same name are two departments.
WITH dept AS (
    SELECT DISTINCT coalesce(region_code, '') AS region_code, agency_code, dept_name
    FROM budget_execution WHERE period = $period AND dept_name IS NOT NULL
), digits AS (
    -- First digit by arithmetic (faster than text on both engines); exact for amounts in 分
    -- below 10^13, and clamped to 1..9 all the same.
    SELECT region_code, agency_code,
           greatest(1, least(9, CAST(floor(CAST(amount AS DOUBLE)
               / power(10.0, floor(log10(CAST(amount AS DOUBLE))))) AS BIGINT))) AS digit
    FROM payments
    WHERE period <= $period AND period >= CAST($year AS VARCHAR) || '-01'
      AND amount >= $min_amount
), by_unit AS (
    -- Count per unit first (one pass over payments), then fold units into departments.
    SELECT region_code, agency_code, digit, count(*) AS c FROM digits GROUP BY region_code, agency_code, digit
), counts AS (
    SELECT d.region_code, d.dept_name, u.digit, sum(u.c) AS c,
           sum(sum(u.c)) OVER (PARTITION BY d.region_code, d.dept_name) AS n
    FROM by_unit u JOIN dept d ON coalesce(u.region_code, '') = d.region_code AND u.agency_code = d.agency_code
    GROUP BY d.region_code, d.dept_name, u.digit
), mad AS (
    SELECT region_code, dept_name, max(n) AS n,
           (1.0 + sum(abs(CAST(c AS DOUBLE) / CAST(n AS DOUBLE) - log10(1.0 + 1.0 / digit)) - log10(1.0 + 1.0 / digit))) / 9.0 AS mad
    FROM counts GROUP BY region_code, dept_name
), shown AS (
    -- One more decimal where rounding would read as the threshold itself (0.01504 against 0.015 reads 0.01504, never 0.0150).
    SELECT *, CASE WHEN round(mad, 4) <> $max_mad THEN 4 WHEN round(mad, 5) <> $max_mad THEN 5 WHEN round(mad, 6) <> $max_mad THEN 6 ELSE 7 END AS digits FROM mad
)
SELECT region_code, dept_name, dept_name AS subject,
       round(mad, digits) AS value, $max_mad AS expected, round(mad - $max_mad, digits) AS difference, n
FROM shown
WHERE n >= $min_count AND mad > $max_mad
