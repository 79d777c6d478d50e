-- id: soe_capital_transfer
-- title: 国有资本经营预算调入一般公共预算比例偏低 | Too little of SOE capital income goes to the general budget
-- category: 流量
-- focus: structure
-- budgets: state_capital, general
-- stake: soe_income
-- datasets: revenue, budget_execution
-- cadence: month
-- finding: state
-- basis: ytd
-- severity: 黄
-- params: transfer_func = '23008', min_pct = 30
-- key: region_code
-- message: {subject}国有资本经营预算调出资金{transferred}，为国有资本经营收入{soe_income}的{value}%，低于{expected}%的目标 | {subject}: {transferred} of the SOE capital budget moved to the general budget, {value}% of its income of {soe_income}, below the {expected}% aimed at
-- description: The 2013 reform decision set a rising share of state capital income to go to
--   public finance (30 % by 2020; `min_pct`): the state capital budget moves it to the general
--   budget as 调出资金 (支出功能分类 23008 in the 国有资本经营预算's own rows; `transfer_func`).
--   Per region, as the budgets stand in the month (调整后预算数): the transfer over the state capital
--   budget's income (its detail revenue rows). Only a region whose execution extract carries the
--   state capital budget's 调出资金 line and whose revenue extract gives its income is judged: an
--   extract of the units' spending often leaves the line out, and its absence there says nothing.
WITH income AS (
    SELECT coalesce(region_code, '') AS region_code,
           max(region_name) AS region_name,
           sum(adjusted_budget) AS soe_income
    FROM revenue
    WHERE period = $period AND is_detail AND budget_kind LIKE '%国有资本%'
    GROUP BY coalesce(region_code, '')
    HAVING sum(adjusted_budget) > 0
), moved AS (
    SELECT coalesce(region_code, '') AS region_code,
           sum(adjusted_budget) AS transferred
    FROM budget_execution
    WHERE period = $period AND is_detail AND budget_kind LIKE '%国有资本%'
      AND starts_with(func_code, $transfer_func)
    GROUP BY coalesce(region_code, '')
), r AS (
    SELECT income.*, moved.transferred,
           100.0 * CAST(moved.transferred AS DOUBLE) / CAST(income.soe_income AS DOUBLE) AS share
    FROM income JOIN moved ON moved.region_code = income.region_code
)
SELECT region_code,
       coalesce(region_name, region_code) AS subject,
       round(share, CASE WHEN round(share, 1) <> $min_pct THEN 1 WHEN round(share, 2) <> $min_pct THEN 2 ELSE 4 END) AS value,
       $min_pct AS expected,
       round(share - $min_pct, CASE WHEN round(share, 1) <> $min_pct THEN 1 WHEN round(share, 2) <> $min_pct THEN 2 ELSE 4 END) AS difference,
       transferred, soe_income
FROM r
WHERE share < $min_pct
