-- id: review_revenue_growth
-- title: 收入预算增长与经济增长不协调 | Draft revenue growth out of line with the economy
-- category: 流量
-- focus: revenue
-- budgets: general
-- stake: amount
-- datasets: draft_revenue, indicators
-- cadence: year
-- finding: state
-- basis: annual
-- severity: level
-- params: gdp_code = 'GDP', max_gap_pp = 5, red_gap_pp = 10
-- key: region_code
-- message: {subject}一般公共预算收入预算{amount}，比上年{basis_zh}{prior}增长{value}%，地区生产总值增长{gdp_growth}%（{gdp_period}），{direction_zh}{gap_pp}个百分点 | {subject}: general budget revenue budgeted at {amount}, {value}% on last year's {basis_en} of {prior}, against GDP growth of {gdp_growth}% ({gdp_period}): {gap_pp} pp {direction_en}
-- description: 预算法 §32 and the preliminary review: the revenue budget is set from the economy
--   (与经济社会发展水平相适应) — neither inflated (虚增收入, 空转) nor held low to leave room for
--   extra spending. Per region, the draft's general-budget revenue (detail lines) against last
--   year's (上年执行数, else 上年预算数), beside the region's GDP growth (indicator `gdp_code`, its
--   累计同比, else its 同比) as of the newest figure in the twelve months up to the review.
--   Apart by more than max_gap_pp points yellow, by more than red_gap_pp red. A region with no
--   GDP figure in those months, or no figure for last year's revenue, is not judged.
WITH rev AS (
    SELECT coalesce(region_code, '') AS region_code, max(region_name) AS region_name,
           sum(amount) AS amount,
           sum(coalesce(prior_outturn, prior_budget)) AS prior,
           count(prior_outturn) > 0 AS has_outturn
    FROM draft_revenue
    WHERE period = substr($period, 1, 4) AND is_detail
      AND (budget_kind IS NULL OR budget_kind LIKE '%一般公共%')
    GROUP BY coalesce(region_code, '')
    HAVING sum(coalesce(prior_outturn, prior_budget)) > 0
), gdp_rows AS (
    SELECT coalesce(region_code, '') AS region_code, period, coalesce(ytd_yoy, yoy) AS growth
    FROM indicators
    WHERE indicator_code = $gdp_code AND coalesce(ytd_yoy, yoy) IS NOT NULL
      AND period >= $since AND period <= $period
), gdp AS (
    SELECT g.region_code, g.period AS gdp_period, max(g.growth) AS gdp_growth
    FROM gdp_rows g
    JOIN (SELECT region_code, max(period) AS period FROM gdp_rows GROUP BY region_code) newest
      ON newest.region_code = g.region_code AND newest.period = g.period
    GROUP BY g.region_code, g.period
), r AS (
    SELECT rev.*, gdp.gdp_period, CAST(gdp.gdp_growth AS DOUBLE) AS gdp_growth,
           100.0 * CAST(rev.amount - rev.prior AS DOUBLE) / CAST(rev.prior AS DOUBLE) AS growth
    FROM rev JOIN gdp ON gdp.region_code = rev.region_code
), gap AS (
    SELECT *, growth - gdp_growth AS diff,
           CASE WHEN round(abs(growth - gdp_growth), 1) NOT IN ($max_gap_pp, $red_gap_pp) THEN 1
                WHEN round(abs(growth - gdp_growth), 2) NOT IN ($max_gap_pp, $red_gap_pp) THEN 2 ELSE 4 END AS digits
    FROM r
)
SELECT region_code,
       coalesce(region_name, region_code) AS subject,
       CASE WHEN abs(diff) > $red_gap_pp THEN '红' ELSE '黄' END AS level,
       round(growth, digits) AS value,
       round(gdp_growth, 1) AS gdp_growth,
       gdp_period,
       round(gdp_growth, digits) AS expected,
       round(diff, digits) AS difference,
       round(abs(diff), digits) AS gap_pp,
       CASE WHEN diff > 0 THEN '快于经济增长' ELSE '慢于经济增长' END AS direction_zh,
       CASE WHEN diff > 0 THEN 'faster than the economy' ELSE 'slower than the economy' END AS direction_en,
       CASE WHEN has_outturn THEN '执行数' ELSE '预算数' END AS basis_zh,
       CASE WHEN has_outturn THEN 'outturn' ELSE 'budget' END AS basis_en,
       amount, prior
FROM gap
WHERE abs(diff) > $max_gap_pp
