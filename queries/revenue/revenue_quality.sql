-- id: revenue_quality
-- title: 非税收入占比偏高 | Non-tax share of general revenue too high
-- category: 流量
-- focus: revenue
-- budgets: general
-- stake: nontax_revenue
-- datasets: revenue
-- cadence: month
-- finding: state
-- basis: ytd
-- severity: 黄
-- params: max_share_pct = 30
-- key: region_code
-- message: {subject}一般公共预算收入中非税收入{nontax_revenue}，占{value}%（阈值{expected}%） | {subject}: non-tax revenue {nontax_revenue} is {value}% of general budget revenue (threshold {expected}%)
-- description: 103 非税收入 / (101 税收收入 + 103 非税收入), year to date, general budget, per region.
WITH r AS (
    SELECT coalesce(region_code, '') AS region_code, max(region_name) AS region_name,
           sum(CASE WHEN rev_code LIKE '101%' THEN ytd_amount ELSE 0 END) AS tax_revenue,
           sum(CASE WHEN rev_code LIKE '103%' THEN ytd_amount ELSE 0 END) AS nontax_revenue
    FROM revenue
    WHERE period = $period AND is_detail AND budget_kind = '一般公共预算'
    GROUP BY coalesce(region_code, '')
), s AS (
    SELECT *, 100.0 * CAST(nontax_revenue AS DOUBLE) / CAST(tax_revenue + nontax_revenue AS DOUBLE) AS share
    FROM r WHERE tax_revenue + nontax_revenue > 0
), shown AS (
    -- One more decimal where rounding would read as the threshold itself (30.04 % against a 30 % line reads 30.04 %, never 30.0 %).
    SELECT *, CASE WHEN round(share, 1) <> $max_share_pct THEN 1 WHEN round(share, 2) <> $max_share_pct THEN 2 WHEN round(share, 3) <> $max_share_pct THEN 3 ELSE 4 END AS digits FROM s
)
SELECT region_code,
       coalesce(region_name, region_code) AS subject,
       round(share, digits) AS value,
       $max_share_pct AS expected,
       round(share - $max_share_pct, digits) AS difference,
       tax_revenue, nontax_revenue
FROM shown
WHERE share > $max_share_pct
