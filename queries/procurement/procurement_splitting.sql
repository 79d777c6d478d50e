-- id: procurement_splitting
-- title: 疑似化整为零规避公开招标 | Purchases split to avoid open tender
-- category: 合规
-- focus: department
-- budgets: general
-- stake: total
-- datasets: procurement
-- cadence: quarter
-- finding: event
-- basis: annual
-- severity: 橙
-- params: threshold = 4000000, min_count = 2
-- key: region_code, agency_key, item_key
-- evidence: plan_no, contract_date, method, amount
-- tally: value = count, total = sum(amount)
-- message: {subject}本年采购{item}{value}项、合计{total}，每项低于公开招标数额标准{expected:money}，均未公开招标 | {subject} bought {item} {value} times this year, {total} in all, each under the open-tender threshold of {expected:money}, none by open tender
-- description: 化整为零 (政府采购法 §28, 实施条例 §28): one unit buying the same item (品目, by
--   code, else by name) in one year in several purchases each under the open-tender threshold
--   (公开招标数额标准, threshold: 4,000,000 元 for goods and services by default, set per
--   province) that together reach it, none of them by open tender (公开招标). min_count or more
--   such purchases make the finding; the purchases are its evidence rows, each once. The amount is
--   the contract's, else the plan's budget. Splitting is a fact once done (finding: event). The
--   region's latest ledger of the last three months of the same year stands.
WITH latest AS (
    SELECT coalesce(region_code, '') AS region_code, max(period) AS data_period
    FROM procurement
    WHERE period >= $since AND period <= $period AND substr(period, 1, 4) = substr($period, 1, 4)
    GROUP BY coalesce(region_code, '')
), p AS (
    SELECT latest.region_code, latest.data_period,
           coalesce(p.agency_code, p.agency_name) AS agency_key, p.agency_name, p.agency_code,
           coalesce(p.item_code, p.item_name) AS item_key, coalesce(p.item_name, p.item_code) AS item_name,
           coalesce(p.plan_no, '') AS plan_no, p.contract_date, coalesce(p.method, '') AS method,
           coalesce(p.contract_amount, p.budget_amount) AS amount
    FROM procurement p JOIN latest ON coalesce(p.region_code, '') = latest.region_code AND p.period = latest.data_period
    WHERE coalesce(p.item_code, p.item_name) IS NOT NULL
), g AS (
    SELECT region_code, agency_key, item_key, max(agency_name) AS agency_name, max(agency_code) AS agency_code, max(item_name) AS item,
           count(*) AS n, sum(amount) AS total, max(data_period) AS data_period,
           max(amount) AS largest,
           count(CASE WHEN method LIKE '%公开招标%' THEN 1 END) AS open_tenders
    FROM p
    WHERE amount IS NOT NULL
    GROUP BY region_code, agency_key, item_key
)
SELECT g.region_code, g.agency_key, g.item_key,
       coalesce(g.agency_name, g.agency_key) AS subject,
       g.n AS value, $threshold AS expected, g.n - $min_count AS difference,
       g.agency_code, g.total, g.item, g.data_period,
       p.plan_no, p.contract_date, p.method, p.amount
FROM g JOIN p ON g.region_code = p.region_code AND g.agency_key = p.agency_key AND g.item_key = p.item_key
WHERE g.n >= $min_count AND g.largest < $threshold AND g.total >= $threshold AND g.open_tenders = 0
  AND p.amount IS NOT NULL
