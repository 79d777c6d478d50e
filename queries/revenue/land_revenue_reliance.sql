-- id: land_revenue_reliance
-- title: 土地出让收入依赖度高 | Heavy reliance on land-sale revenue
-- category: 流量
-- focus: revenue
-- budgets: fund, general
-- stake: land_revenue
-- datasets: revenue
-- cadence: month
-- finding: state
-- basis: ytd
-- severity: level
-- params: land_codes = '1030148', yellow_pct = 50, red_pct = 60
-- key: region_code
-- message: {subject}土地出让收入累计{land_revenue}，占一般公共预算收入{general_revenue}与政府性基金收入{fund_revenue}之和的{value}%（{expected}%起为{band}） | {subject}: land-sale revenue {land_revenue} to date, {value}% of general budget revenue {general_revenue} and fund revenue {fund_revenue} together ({band_en} from {expected}%)
-- description: 土地财政: land-sale revenue (国有土地使用权出让收入, 政府性基金收入 1030148 and the items
--   under it; `land_codes` lists the codes, `|` between them) over general budget revenue plus
--   government fund revenue, year to date, per region: from yellow_pct % a region leans heavily on
--   selling land (yellow), from red_pct % it hangs on it (red); when land sales slump, such a
--   budget has nothing else to stand on. Detail rows only. A region whose extract lacks either
--   the general budget's or the fund budget's revenue is not judged (a share of half the
--   picture says nothing).
WITH r AS (
    SELECT coalesce(region_code, '') AS region_code,
           max(region_name) AS region_name,
           sum(CASE WHEN strpos('|' || $land_codes || '|', '|' || substr(rev_code, 1, 7) || '|') > 0 THEN ytd_amount ELSE 0 END) AS land_revenue,
           sum(CASE WHEN budget_kind LIKE '%一般公共%' THEN ytd_amount END) AS general_revenue,
           sum(CASE WHEN budget_kind LIKE '%政府性基金%' THEN ytd_amount END) AS fund_revenue
    FROM revenue
    WHERE period = $period AND is_detail
    GROUP BY coalesce(region_code, '')
    HAVING sum(CASE WHEN budget_kind LIKE '%一般公共%' THEN ytd_amount END) > 0
       AND sum(CASE WHEN budget_kind LIKE '%政府性基金%' THEN ytd_amount END) > 0
), s AS (
    SELECT *,
           100.0 * CAST(land_revenue AS DOUBLE) / CAST(general_revenue + fund_revenue AS DOUBLE) AS share
    FROM r
), lined AS (
    SELECT *,
           CASE WHEN share >= $red_pct THEN $red_pct ELSE $yellow_pct END AS line,
           CASE WHEN round(share, 1) <> $yellow_pct AND round(share, 1) <> $red_pct THEN 1
                WHEN round(share, 2) <> $yellow_pct AND round(share, 2) <> $red_pct THEN 2
                ELSE 4 END AS digits
    FROM s
)
SELECT region_code,
       coalesce(region_name, region_code) AS subject,
       CASE WHEN share >= $red_pct THEN '红' ELSE '黄' END AS level,
       CASE WHEN share >= $red_pct THEN '严重依赖' ELSE '高度依赖' END AS band,
       CASE WHEN share >= $red_pct THEN 'hanging on it' ELSE 'heavy reliance' END AS band_en,
       round(share, digits) AS value,
       line AS expected,
       round(share - line, digits) AS difference,
       land_revenue, general_revenue, fund_revenue
FROM lined
WHERE share >= $yellow_pct
