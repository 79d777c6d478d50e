-- id: review_carryover_ask
-- title: 结转资金较多仍申请新增预算 | New money asked beside a large unspent carry-over
-- category: 流速
-- focus: department
-- budgets: general, fund
-- stake: carryover
-- datasets: draft_budget, carryovers
-- cadence: year
-- finding: state
-- basis: annual
-- severity: level
-- params: min_share_pct = 50, red_share_pct = 100
-- key: region_code, agency_key, project_key
-- message: {subject}{project_name}尚有结转资金{carryover}未使用，本年又申请{amount}，结转相当于申请额的{value}% | {subject}, {project_name}: {carryover} carried over still unspent, and {amount} asked again this year ({value}% of the ask)
-- description: 预算草案初步审查 (盘活存量资金): money carried over for a project and still unspent
--   should be used before new money is asked for it — 结转资金规模较大的项目相应压减新增预算.
--   Per region × unit × project of the draft, the carry-over (结转, not 结余) left on the region's
--   latest carry-over ledger in the twelve months up to the review (年初结转结余 − 当年已支出 −
--   已收回), matched to the draft line by unit and by project code or, where either side has no
--   code, by project name. Left over at min_share_pct % of the new ask or more: yellow; at
--   red_share_pct % (as much as is asked) or more, red. Runs on the draft of the period's year.
WITH latest AS (
    SELECT coalesce(region_code, '') AS region_code, max(period) AS data_period
    FROM carryovers
    WHERE period >= $since AND period <= $period
    GROUP BY coalesce(region_code, '')
), c AS (
    SELECT latest.region_code, coalesce(c.agency_code, c.agency_name, '') AS agency_key,
           c.project_code, c.project_name,
           sum(c.amount) - coalesce(sum(c.spent_amount), 0) - coalesce(sum(c.recovered_amount), 0) AS carryover
    FROM carryovers c JOIN latest ON coalesce(c.region_code, '') = latest.region_code AND c.period = latest.data_period
    WHERE c.kind IS NULL OR c.kind NOT LIKE '%结余%'
    GROUP BY latest.region_code, coalesce(c.agency_code, c.agency_name, ''), c.project_code, c.project_name
), d AS (
    SELECT coalesce(region_code, '') AS region_code, coalesce(agency_code, agency_name, '') AS agency_key,
           coalesce(project_code, project_name) AS project_key,
           max(project_code) AS project_code, max(project_name) AS project_name,
           max(agency_name) AS agency_name, max(agency_code) AS agency_code, max(dept_name) AS dept_name,
           sum(amount) AS amount
    FROM draft_budget
    WHERE period = substr($period, 1, 4) AND coalesce(project_code, project_name) IS NOT NULL
    GROUP BY coalesce(region_code, ''), coalesce(agency_code, agency_name, ''), coalesce(project_code, project_name)
), m AS (
    -- One carry-over line matches a draft project once, by code where both have one, else by name.
    SELECT d.region_code, d.agency_key, d.project_key,
           max(d.project_name) AS project_name, max(d.agency_name) AS agency_name,
           max(d.agency_code) AS agency_code, max(d.dept_name) AS dept_name,
           max(d.amount) AS amount, sum(c.carryover) AS carryover
    FROM d JOIN c ON c.region_code = d.region_code AND c.agency_key = d.agency_key
    WHERE CASE WHEN c.project_code IS NOT NULL AND d.project_code IS NOT NULL THEN c.project_code = d.project_code
               ELSE c.project_name = d.project_name END
    GROUP BY d.region_code, d.agency_key, d.project_key
), r AS (
    SELECT *, 100.0 * CAST(carryover AS DOUBLE) / CAST(amount AS DOUBLE) AS share
    FROM m WHERE amount > 0 AND carryover > 0
)
SELECT region_code, agency_key, project_key,
       coalesce(agency_name, dept_name, agency_key) AS subject,
       dept_name, agency_code, project_name,
       CASE WHEN share >= $red_share_pct THEN '红' ELSE '黄' END AS level,
       round(share, CASE WHEN round(share, 1) <> $min_share_pct AND round(share, 1) <> $red_share_pct THEN 1 WHEN round(share, 2) <> $min_share_pct AND round(share, 2) <> $red_share_pct THEN 2 ELSE 4 END) AS value,
       CASE WHEN share >= $red_share_pct THEN $red_share_pct ELSE $min_share_pct END AS expected,
       round(share - CASE WHEN share >= $red_share_pct THEN $red_share_pct ELSE $min_share_pct END, CASE WHEN round(share, 1) <> $min_share_pct AND round(share, 1) <> $red_share_pct THEN 1 WHEN round(share, 2) <> $min_share_pct AND round(share, 2) <> $red_share_pct THEN 2 ELSE 4 END) AS difference,
       carryover, amount
FROM r
WHERE share >= $min_share_pct
