-- id: procurement_execution
-- title: 政府采购预算执行滞后 | Procurement budget behind schedule
-- category: 流速
-- focus: department
-- budgets: general
-- stake: budget_amount
-- datasets: procurement
-- cadence: quarter
-- finding: state
-- basis: ytd
-- severity: level
-- params: from_month = 6, yellow_pp = 30, red_pp = 50
-- key: region_code, agency_key
-- message: {subject}政府采购预算{budget_amount}，已签订合同{contract_amount}，执行{value}%，序时进度{expected}%，落后{difference}个百分点（数据截至{data_period}） | {subject}: procurement budget {budget_amount}, {contract_amount} contracted or {value}%, against time progress {expected}%: {difference} pp behind (data as of {data_period})
-- description: 政府采购预算执行: per region × purchasing unit, what is contracted (合同金额) over
--   the year's procurement budget (采购预算), against the share of the year gone (the ledger's
--   month / 12). Procurement is planned early and contracted through the year, so the rule
--   judges from from_month on (June by default) and flags only wide gaps: yellow_pp behind
--   time progress, red from red_pp. Each region's latest procurement ledger of the last three
--   months of the same year stands (cadence: quarter): the ledger lists the year's plans with
--   their contracts so far.
WITH latest AS (
    SELECT coalesce(region_code, '') AS region_code, max(period) AS data_period
    FROM procurement
    WHERE period >= $since AND period <= $period AND substr(period, 1, 4) = substr($period, 1, 4)
    GROUP BY coalesce(region_code, '')
), u AS (
    SELECT latest.region_code, latest.data_period,
           coalesce(p.agency_code, p.agency_name) AS agency_key,
           max(p.agency_name) AS agency_name, max(p.agency_code) AS agency_code,
           sum(p.budget_amount) AS budget_amount,
           coalesce(sum(p.contract_amount), 0) AS contract_amount,
           count(*) AS plans
    FROM procurement p JOIN latest ON coalesce(p.region_code, '') = latest.region_code AND p.period = latest.data_period
    GROUP BY latest.region_code, latest.data_period, coalesce(p.agency_code, p.agency_name)
), g AS (
    SELECT *,
           100.0 * CAST(contract_amount AS DOUBLE) / CAST(budget_amount AS DOUBLE) AS done_pct,
           100.0 * CAST(substr(data_period, 6, 2) AS DOUBLE) / 12.0 AS time_pct
    FROM u
    WHERE budget_amount > 0 AND CAST(substr(data_period, 6, 2) AS BIGINT) >= $from_month
)
SELECT region_code, agency_key,
       coalesce(agency_name, agency_key) AS subject,
       CASE WHEN time_pct - done_pct >= $red_pp THEN '红' ELSE '黄' END AS level,
       round(done_pct, 1) AS value,
       round(time_pct, 1) AS expected,
       round(time_pct - done_pct, 1) AS difference,
       agency_code, budget_amount, contract_amount, plans, data_period
FROM g
WHERE time_pct - done_pct >= $yellow_pp
