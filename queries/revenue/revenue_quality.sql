-- id: revenue_quality
-- title: 非税收入占比偏高 | Non-tax share of general revenue too high
-- category: 流量
-- datasets: revenue
-- severity: 黄
-- params: max_share_pct = 30
-- key: region_code
-- message: {subject}一般公共预算收入中非税收入占{value}%（阈值{expected}%） | {subject}: non-tax revenue is {value}% of general budget revenue (threshold {expected}%)
-- description: 103 非税收入 / (101 税收收入 + 103 非税收入), year to date, general budget.
WITH r AS (
    SELECT region_code, max(region_name) AS region_name,
           CAST(sum(CASE WHEN rev_code LIKE '101%' THEN ytd_amount ELSE 0 END) AS DOUBLE) AS tax,
           CAST(sum(CASE WHEN rev_code LIKE '103%' THEN ytd_amount ELSE 0 END) AS DOUBLE) AS nontax
    FROM revenue
    WHERE period = $period AND is_detail AND budget_kind = '一般公共预算'
    GROUP BY region_code
)
SELECT region_code AS alert_key,
       coalesce(region_name, region_code) AS subject,
       round(100.0 * nontax / (tax + nontax), 1) AS value,
       $max_share_pct AS expected,
       round(100.0 * nontax / (tax + nontax) - $max_share_pct, 1) AS difference,
       tax AS tax_revenue, nontax AS nontax_revenue
FROM r
WHERE tax + nontax > 0 AND 100.0 * nontax / (tax + nontax) > $max_share_pct
