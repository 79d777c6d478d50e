-- id: overrun_spending
-- title: 超收收入未经预算调整安排支出 | Revenue above budget spent without a budget adjustment
-- category: 合规
-- focus: policy
-- budgets: general
-- stake: overspent
-- datasets: budget_execution, revenue
-- cadence: month
-- finding: state
-- basis: ytd
-- severity: level
-- params: red_pct = 2
-- key: region_code
-- message: {subject}一般公共预算收入{revenue}，超过预算{revenue_budget}（超收{surplus}）；支出{spent}超过调整预算{budget}达{overspent}（{value}%），超收收入未经预算调整安排支出 | {subject}: general budget revenue of {revenue} is above its budget of {revenue_budget} ({surplus} over), and spending of {spent} exceeds the adjusted budget of {budget} by {overspent} ({value}%): revenue above budget spent without a budget adjustment
-- description: 预算法 §66: revenue above budget (超收) in the general budget goes to reduce the
--   deficit or to the budget stabilisation fund (预算稳定调节基金); spending it in-year needs a
--   budget adjustment (预算调整) approved by the standing committee, after which the adjusted
--   budget carries it. So, per region, year to date: general budget revenue above its full-year
--   adjusted budget while spending is already above the full-year adjusted expenditure budget is
--   超收 spent without an adjustment; red once the overspending reaches red_pct % of the budget.
--   Revenue counts the government's own income (税收 101, 非税 103 and what else the extract
--   lists), not grants from above (转移性收入 110); detail rows only.
WITH ex AS (
    SELECT coalesce(region_code, '') AS region_code, max(region_name) AS region_name,
           sum(ytd_amount) AS spent, sum(adjusted_budget) AS budget
    FROM budget_execution
    WHERE period = $period AND is_detail AND (budget_kind IS NULL OR budget_kind LIKE '%一般公共%')
    GROUP BY coalesce(region_code, '')
), rv AS (
    SELECT coalesce(region_code, '') AS region_code, sum(ytd_amount) AS revenue, sum(adjusted_budget) AS revenue_budget
    FROM revenue
    WHERE period = $period AND is_detail AND (budget_kind IS NULL OR budget_kind LIKE '%一般公共%')
      AND substr(rev_code, 1, 3) <> '110'
    GROUP BY coalesce(region_code, '')
), j AS (
    SELECT ex.*, rv.revenue, rv.revenue_budget, rv.revenue - rv.revenue_budget AS surplus,
           ex.spent - ex.budget AS overspent,
           100.0 * CAST(ex.spent - ex.budget AS DOUBLE) / CAST(ex.budget AS DOUBLE) AS pct
    FROM ex JOIN rv ON ex.region_code = rv.region_code
    WHERE ex.budget > 0 AND rv.revenue > rv.revenue_budget AND ex.spent > ex.budget
)
SELECT region_code, coalesce(region_name, region_code) AS subject,
       CASE WHEN pct >= $red_pct THEN '红' ELSE '黄' END AS level,
       round(pct, CASE WHEN round(pct, 2) = $red_pct THEN 4 ELSE 2 END) AS value,
       0 AS expected, round(pct, 2) AS difference,
       revenue, revenue_budget, surplus, spent, budget, overspent
FROM j
