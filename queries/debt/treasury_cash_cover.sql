-- id: treasury_cash_cover
-- title: 库款保障水平 | Treasury cash cover
-- category: 流量
-- focus: revenue
-- budgets: general
-- datasets: debt, budget_execution
-- cadence: month
-- finding: state
-- basis: balance
-- severity: level
-- params: low = 0.3, idle = 0.8
-- key: region_code
-- message: {subject}库款保障水平{value}（合理区间{expected}）：月末库款{treasury_balance}，月均支出{average_monthly_outflow} | {subject}: treasury cash covers {value} months of outflow (sound range {expected}): balance {treasury_balance}, average monthly outflow {average_monthly_outflow}
-- description: Month-end treasury balance over the average monthly outflow so far this year
--   (year-to-date spending / month). Below `low` the region may not pay its bills; above `idle`
--   cash sits unused. A month-end balance speaks for its month only (cadence: month), and the
--   region needs both its balance and its execution extract for that month. 社会保险基金预算
--   spending is left out: it is paid from the fund's own 财政专户, not from the treasury.
WITH cash AS (
    SELECT coalesce(region_code, '') AS region_code, max(region_name) AS region_name, max(treasury_balance) AS treasury_balance
    FROM debt
    WHERE period = $period AND treasury_balance IS NOT NULL
    GROUP BY coalesce(region_code, '')
), outflow AS (
    SELECT coalesce(region_code, '') AS region_code, sum(ytd_amount) AS ytd_amount
    FROM budget_execution
    WHERE period = $period AND is_detail AND coalesce(budget_kind, '') NOT LIKE '%社会保险%'
    GROUP BY coalesce(region_code, '')
), c AS (
    SELECT cash.region_code, region_name, treasury_balance,
           CAST(ytd_amount / $month AS DECIMAL(20, 2)) AS average_monthly_outflow,
           CAST(treasury_balance AS DOUBLE) * CAST($month AS DOUBLE) / CAST(ytd_amount AS DOUBLE) AS cover
    FROM cash JOIN outflow ON cash.region_code = outflow.region_code
    WHERE ytd_amount > 0
)
SELECT region_code,
       coalesce(region_name, region_code) AS subject,
       CASE WHEN cover < $low THEN '黄' ELSE '蓝' END AS level,
       round(cover, 2) AS value,
       CAST($low AS VARCHAR) || '–' || CAST($idle AS VARCHAR) AS expected,
       round(CASE WHEN cover < $low THEN cover - $low ELSE cover - $idle END, 2) AS difference,
       treasury_balance, average_monthly_outflow
FROM c
WHERE cover < $low OR cover > $idle
