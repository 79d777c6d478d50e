-- id: revenue_economy_gap
-- title: 财政收入增长与经济增长背离 | Revenue growth out of line with the economy
-- category: 流量
-- focus: revenue
-- budgets: general
-- stake: ytd_amount
-- datasets: revenue, indicators
-- cadence: month
-- finding: state
-- basis: ytd
-- severity: 黄
-- params: gdp_code = 'GDP', max_gap_pp = 5
-- key: region_code
-- message: {subject}一般公共预算收入累计{ytd_amount}，同比增长{value}%，地区生产总值增长{gdp_growth}%（{gdp_period}），{direction_zh}{gap_pp}个百分点 | {subject}: general budget revenue {ytd_amount} to date, up {value}% on last year, against GDP growth of {gdp_growth}% ({gdp_period}): {gap_pp} pp {direction_en}
-- description: Whether revenue growth is consistent with the economy (a question of every
--   preliminary review): the general budget's revenue year to date against the same months of last
--   year (上年同期), per region, beside the region's GDP growth (indicator `gdp_code`, its 累计同比,
--   else its 同比) as of the newest GDP figure of the year up to the month (GDP comes quarterly).
--   Revenue more than max_gap_pp points faster than the economy points to one-off income, revenue
--   collected ahead or 空转 (money passed round to inflate it); more than max_gap_pp slower, to
--   collection slipping. GDP growth is as the statistics bureau gives it (usually real): the line
--   allows for prices. Detail rows only; a region with no GDP figure this year, or no figures for
--   last year's revenue, is not judged.
WITH rev AS (
    SELECT coalesce(region_code, '') AS region_code,
           max(region_name) AS region_name,
           sum(ytd_amount) AS ytd_amount,
           sum(prior_ytd_amount) AS prior_ytd_amount
    FROM revenue
    WHERE period = $period AND is_detail AND budget_kind LIKE '%一般公共%'
    GROUP BY coalesce(region_code, '')
    HAVING sum(prior_ytd_amount) > 0
), gdp_rows AS (
    SELECT coalesce(region_code, '') AS region_code, period,
           coalesce(ytd_yoy, yoy) AS growth
    FROM indicators
    WHERE indicator_code = $gdp_code AND coalesce(ytd_yoy, yoy) IS NOT NULL
      AND period >= substr($period, 1, 4) || '-01' AND period <= $period
), gdp AS (
    SELECT g.region_code, g.period AS gdp_period, max(g.growth) AS gdp_growth
    FROM gdp_rows g
    JOIN (SELECT region_code, max(period) AS period FROM gdp_rows GROUP BY region_code) newest
      ON newest.region_code = g.region_code AND newest.period = g.period
    GROUP BY g.region_code, g.period
), r AS (
    SELECT rev.*, gdp.gdp_period, CAST(gdp.gdp_growth AS DOUBLE) AS gdp_growth,
           100.0 * CAST(rev.ytd_amount - rev.prior_ytd_amount AS DOUBLE) / CAST(rev.prior_ytd_amount AS DOUBLE) AS growth
    FROM rev JOIN gdp ON gdp.region_code = rev.region_code
), gap AS (
    SELECT *, growth - gdp_growth AS diff,
           CASE WHEN round(abs(growth - gdp_growth), 1) <> $max_gap_pp THEN 1
                WHEN round(abs(growth - gdp_growth), 2) <> $max_gap_pp THEN 2 ELSE 4 END AS digits
    FROM r
)
SELECT region_code,
       coalesce(region_name, region_code) AS subject,
       round(growth, digits) AS value,
       round(gdp_growth, 1) AS gdp_growth,
       gdp_period,
       round(gdp_growth, digits) AS expected,
       round(diff, digits) AS difference,
       round(abs(diff), digits) AS gap_pp,
       CASE WHEN diff > 0 THEN '快于经济增长' ELSE '慢于经济增长' END AS direction_zh,
       CASE WHEN diff > 0 THEN 'faster than the economy' ELSE 'slower than the economy' END AS direction_en,
       ytd_amount, prior_ytd_amount
FROM gap
WHERE abs(diff) > $max_gap_pp
