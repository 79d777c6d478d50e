-- id: single_source_share
-- title: 单一来源采购占比偏高 | High share of single-source procurement
-- category: 合规
-- focus: department
-- budgets: general
-- stake: single_source_amount
-- datasets: procurement
-- cadence: quarter
-- finding: state
-- basis: ytd
-- severity: level
-- params: yellow_pct = 10, red_pct = 30, min_total = 1000000
-- key: region_code, agency_key
-- message: {subject}单一来源采购{single_source_amount}（{single_source_count}项），占本年采购{total_amount}的{value}%，达到{expected}%的警戒线 | {subject}: {single_source_amount} bought single-source ({single_source_count} purchases), {value}% of the year's {total_amount}, at or above the {expected}% line
-- description: 单一来源 (a supplier chosen without competition) is the exception the 政府采购法
--   §31 allows (one possible supplier, an emergency, a follow-on order); a unit that buys much of
--   what it buys this way is avoiding competition. Per region × purchasing unit, the year's
--   single-source purchases (合同金额, else the 采购预算 of one not yet contracted) over all its
--   purchases, from yellow_pct % yellow and red_pct % red; units buying less than min_total 元 in
--   the year are left out (one purchase would be 100 %). The region's latest ledger of the last
--   three months of the same year stands.
WITH latest AS (
    SELECT coalesce(region_code, '') AS region_code, max(period) AS data_period
    FROM procurement
    WHERE period >= $since AND period <= $period AND substr(period, 1, 4) = substr($period, 1, 4)
    GROUP BY coalesce(region_code, '')
), u AS (
    SELECT latest.region_code, latest.data_period,
           coalesce(p.agency_code, p.agency_name) AS agency_key,
           max(p.agency_name) AS agency_name, max(p.agency_code) AS agency_code,
           sum(coalesce(p.contract_amount, p.budget_amount)) AS total_amount,
           sum(CASE WHEN p.method LIKE '%单一来源%' THEN coalesce(p.contract_amount, p.budget_amount) END) AS single_source_amount,
           count(CASE WHEN p.method LIKE '%单一来源%' THEN 1 END) AS single_source_count
    FROM procurement p JOIN latest ON coalesce(p.region_code, '') = latest.region_code AND p.period = latest.data_period
    GROUP BY latest.region_code, latest.data_period, coalesce(p.agency_code, p.agency_name)
), g AS (
    SELECT *, 100.0 * CAST(single_source_amount AS DOUBLE) / CAST(total_amount AS DOUBLE) AS share
    FROM u WHERE total_amount >= $min_total AND single_source_amount > 0
)
SELECT region_code, agency_key,
       coalesce(agency_name, agency_key) AS subject,
       CASE WHEN share >= $red_pct THEN '红' ELSE '黄' END AS level,
       round(share, CASE WHEN round(share, 1) <> $yellow_pct AND round(share, 1) <> $red_pct THEN 1 WHEN round(share, 2) <> $yellow_pct AND round(share, 2) <> $red_pct THEN 2 ELSE 4 END) AS value,
       CASE WHEN share >= $red_pct THEN $red_pct ELSE $yellow_pct END AS expected,
       round(share - CASE WHEN share >= $red_pct THEN $red_pct ELSE $yellow_pct END, 1) AS difference,
       agency_code, single_source_amount, single_source_count, total_amount, data_period
FROM g
WHERE share >= $yellow_pct
