-- id: review_general_growth
-- title: 一般性支出预算增长 | 一般性支出 budget up on last year
-- category: 流量
-- focus: structure
-- budgets: general
-- stake: amount
-- datasets: draft_budget
-- cadence: year
-- finding: state
-- basis: annual
-- severity: level
-- params: classes = '302', red_pct = 5
-- key: region_code
-- message: {subject}一般性支出预算{amount}，比上年预算{prior_budget}增长{value}%，与过紧日子要求不符 | {subject}: 一般性支出 budgeted at {amount}, {value}% above last year's {prior_budget}, against the call to cut it (过紧日子)
-- description: 一般性支出 (商品和服务支出, 302 by default; `classes` lists 类 or 款 codes, `|`
--   between them) is to be cut (党政机关过紧日子). Per region, the draft's general-budget lines in
--   those classes against last year's budget for them: any rise yellow, red_pct % or more red.
WITH d AS (
    SELECT coalesce(region_code, '') AS region_code, max(region_name) AS region_name,
           sum(amount) AS amount, sum(prior_budget) AS prior_budget
    FROM draft_budget
    WHERE period = substr($period, 1, 4)
      AND (budget_kind IS NULL OR budget_kind LIKE '%一般公共%')
      AND (strpos('|' || $classes || '|', '|' || substr(dept_econ_code, 1, 3) || '|') > 0
           OR strpos('|' || $classes || '|', '|' || substr(dept_econ_code, 1, 5) || '|') > 0)
    GROUP BY coalesce(region_code, '')
), g AS (
    SELECT *, 100.0 * CAST(amount - prior_budget AS DOUBLE) / CAST(prior_budget AS DOUBLE) AS pct
    FROM d WHERE prior_budget > 0 AND amount > prior_budget
)
SELECT region_code, coalesce(region_name, region_code) AS subject,
       CASE WHEN pct >= $red_pct THEN '红' ELSE '黄' END AS level,
       round(pct, CASE WHEN round(pct, 1) <> $red_pct THEN 1 WHEN round(pct, 2) <> $red_pct THEN 2 ELSE 4 END) AS value,
       0 AS expected,
       round(pct, CASE WHEN round(pct, 1) <> $red_pct THEN 1 WHEN round(pct, 2) <> $red_pct THEN 2 ELSE 4 END) AS difference,
       amount, prior_budget
FROM g
