-- id: interest_expense_ratio
-- title: 利息支出率偏高 | Interest expense ratio high
-- category: 流量
-- focus: debt
-- budgets: general, fund
-- stake: interest
-- datasets: budget_execution, revenue
-- cadence: month
-- finding: state
-- basis: ytd
-- severity: level
-- params: yellow_pct = 7, red_pct = 10
-- key: region_code
-- message: {subject}利息支出率{value}%：债务付息支出{interest}，一般公共预算与政府性基金预算支出{spending}扣除上级补助{grants}后为{base} | {subject}: interest expense ratio {value}%: {interest} of interest, over {base} (general and fund budget spending of {spending} less {grants} of grants from above)
-- description: 利息支出率 = interest paid on government debt (支出功能分类 232 债务付息支出) over the
--   general and fund budgets' spending less what grants from above paid for (转移性收入 110:
--   返还性收入, 一般性 and 专项转移支付收入, 上级补助), year to date, detail rows of both budgets.
--   Yellow from yellow_pct %, red from red_pct % (watch lines: parameters, beside debt_ratio's
--   and debt_service_ratio's). A region whose execution has no interest line is not judged for
--   want of it (it reads 0 %: no finding). Revenue without 110 rows subtracts nothing.
WITH ex AS (
    SELECT coalesce(region_code, '') AS region_code, max(region_name) AS region_name,
           sum(ytd_amount) AS spending,
           coalesce(sum(CASE WHEN substr(func_code, 1, 3) = '232' THEN ytd_amount END), 0) AS interest
    FROM budget_execution
    WHERE period = $period AND is_detail
      AND (budget_kind IS NULL OR budget_kind LIKE '%一般公共%' OR budget_kind LIKE '%政府性基金%')
    GROUP BY coalesce(region_code, '')
), gr AS (
    SELECT coalesce(region_code, '') AS region_code, sum(ytd_amount) AS grants
    FROM revenue
    WHERE period = $period AND is_detail AND substr(rev_code, 1, 3) = '110'
      AND (budget_kind IS NULL OR budget_kind LIKE '%一般公共%' OR budget_kind LIKE '%政府性基金%')
    GROUP BY coalesce(region_code, '')
), r AS (
    SELECT ex.*, coalesce(gr.grants, 0) AS grants, ex.spending - coalesce(gr.grants, 0) AS base
    FROM ex LEFT JOIN gr ON ex.region_code = gr.region_code
), x AS (
    SELECT *, 100.0 * CAST(interest AS DOUBLE) / CAST(base AS DOUBLE) AS pct FROM r WHERE base > 0 AND interest > 0
)
SELECT region_code, coalesce(region_name, region_code) AS subject,
       CASE WHEN pct >= $red_pct THEN '红' ELSE '黄' END AS level,
       round(pct, CASE WHEN round(pct, 1) <> $yellow_pct AND round(pct, 1) <> $red_pct THEN 1 WHEN round(pct, 2) <> $yellow_pct AND round(pct, 2) <> $red_pct THEN 2 ELSE 4 END) AS value,
       CASE WHEN pct >= $red_pct THEN $red_pct ELSE $yellow_pct END AS expected,
       round(pct - CASE WHEN pct >= $red_pct THEN $red_pct ELSE $yellow_pct END, 1) AS difference,
       interest, spending, grants, base
FROM x
WHERE pct >= $yellow_pct
