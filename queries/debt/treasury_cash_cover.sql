-- id: treasury_cash_cover
-- title: 库款保障水平 | Treasury cash cover
-- category: 流量
-- datasets: debt, budget_execution
-- severity: level
-- params: low = 0.3, idle = 0.8
-- key: region_code
-- message: {subject}库款保障水平{value}（合理区间{expected}） | {subject}: treasury cash covers {value} months of outflow (sound range {expected})
-- description: Month-end treasury balance over the average monthly outflow so far this year
--   (year-to-date spending / month). Below `low` the region may not pay its bills; above `idle`
--   cash sits unused.
WITH cash AS (
    SELECT region_code, max(region_name) AS region_name, CAST(max(treasury_balance) AS DOUBLE) AS balance
    FROM debt
    WHERE period = $period AND treasury_balance IS NOT NULL
    GROUP BY region_code
), outflow AS (
    SELECT region_code, CAST(sum(ytd_amount) AS DOUBLE) / CAST($month AS DOUBLE) AS monthly
    FROM budget_execution
    WHERE period = $period AND is_detail
    GROUP BY region_code
), c AS (
    SELECT cash.region_code, region_name, balance, monthly, balance / monthly AS cover
    FROM cash JOIN outflow ON cash.region_code = outflow.region_code
    WHERE monthly > 0
)
SELECT region_code AS alert_key,
       coalesce(region_name, region_code) AS subject,
       CASE WHEN cover < $low THEN '黄' ELSE '蓝' END AS level,
       round(cover, 2) AS value,
       CAST($low AS VARCHAR) || '–' || CAST($idle AS VARCHAR) AS expected,
       round(CASE WHEN cover < $low THEN cover - $low ELSE cover - $idle END, 2) AS difference,
       balance AS treasury_balance, monthly AS average_monthly_outflow
FROM c
WHERE cover < $low OR cover > $idle
