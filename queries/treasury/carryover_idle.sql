-- id: carryover_idle
-- title: 结转结余资金未收回统筹 | Carry-overs idle two years, surpluses not taken back
-- category: 流速
-- focus: department
-- budgets: general, fund
-- stake: remaining
-- datasets: carryovers
-- cadence: quarter
-- finding: state
-- basis: balance
-- severity: level
-- params: years = 2, red_years = 3, min_amount = 0
-- key: region_code, agency_key, project_key, formed_year
-- message: {subject}{project_name}{formed_year}年形成的{kind_text}{amount}，尚余{remaining}未用未收回，{why} | {subject}, {project_name}: {remaining} of {amount} {kind_en} from {formed_year} neither spent nor taken back, {why_en}
-- description: 盘活存量资金: 结余 (surplus: the purpose is done or gone) is taken back for general
--   use at once, and 结转 (carry-over: the purpose stands) that is still unspent after two years
--   running (formed years ago or more, years = 2) is taken back too. Per region × unit ×
--   project × year formed, what is left (年初结转结余 − 当年已支出 − 已收回) above min_amount: a
--   surplus, or a carry-over formed `years` or more before the ledger's year, is flagged
--   yellow, red once it is red_years old. The region's latest carry-over ledger of the last
--   three months of the same year stands; taking the money back (收回) clears the finding.
WITH latest AS (
    SELECT coalesce(region_code, '') AS region_code, max(period) AS data_period
    FROM carryovers
    WHERE period >= $since AND period <= $period AND substr(period, 1, 4) = substr($period, 1, 4)
    GROUP BY coalesce(region_code, '')
), c AS (
    SELECT latest.region_code, latest.data_period,
           coalesce(c.agency_code, c.agency_name, '') AS agency_key,
           coalesce(c.project_code, c.project_name) AS project_key,
           c.formed_year,
           max(c.agency_name) AS agency_name, max(c.agency_code) AS agency_code, max(c.project_name) AS project_name,
           max(CASE WHEN c.kind LIKE '%结余%' THEN 1 ELSE 0 END) AS is_surplus,
           sum(c.amount) AS amount,
           sum(c.amount) - coalesce(sum(c.spent_amount), 0) - coalesce(sum(c.recovered_amount), 0) AS remaining
    FROM carryovers c JOIN latest ON coalesce(c.region_code, '') = latest.region_code AND c.period = latest.data_period
    GROUP BY latest.region_code, latest.data_period, coalesce(c.agency_code, c.agency_name, ''),
             coalesce(c.project_code, c.project_name), c.formed_year
), a AS (
    SELECT *, CAST(substr(data_period, 1, 4) AS BIGINT) - formed_year AS age FROM c
)
SELECT region_code, agency_key, project_key, formed_year,
       coalesce(agency_name, agency_key) AS subject,
       CASE WHEN age >= $red_years THEN '红' ELSE '黄' END AS level,
       age AS value,
       CASE WHEN is_surplus = 1 THEN 0 ELSE $years END AS expected,
       age - CASE WHEN is_surplus = 1 THEN 0 ELSE $years END AS difference,
       CASE WHEN is_surplus = 1 THEN '结余资金' ELSE '结转资金' END AS kind_text,
       CASE WHEN is_surplus = 1 THEN 'surplus' ELSE 'carry-over' END AS kind_en,
       CASE WHEN is_surplus = 1 THEN '结余资金应收回统筹使用' ELSE '已连续' || CAST(age AS VARCHAR) || '年结转，应收回统筹使用' END AS why,
       CASE WHEN is_surplus = 1 THEN 'a surplus is to be taken back' ELSE 'carried over ' || CAST(age AS VARCHAR) || ' years running and to be taken back' END AS why_en,
       agency_code, project_name, amount, remaining, data_period
FROM a
WHERE remaining > $min_amount AND (is_surplus = 1 OR age >= $years)
