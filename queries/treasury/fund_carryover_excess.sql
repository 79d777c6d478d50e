-- id: fund_carryover_excess
-- title: 政府性基金结转超过当年收入30% | Fund-budget carry-over above 30 % of the year's income
-- category: 流量
-- focus: structure
-- budgets: fund
-- stake: excess
-- datasets: carryovers, revenue
-- cadence: quarter
-- finding: state
-- basis: balance
-- severity: level
-- params: max_pct = 30, red_pct = 50
-- key: region_code
-- message: {subject}政府性基金预算结转{remaining}，为当年基金收入{income}的{value}%，超过{expected}%的部分{excess}应调入一般公共预算统筹使用 | {subject}: the fund budget carries over {remaining}, {value}% of the year's fund income of {income}; the {excess} above {expected}% is to be moved to the general budget
-- description: 国发〔2014〕45号 and 预算法实施条例: carry-overs of the government-fund budget
--   (政府性基金预算) above 30 % (max_pct) of the fund's income in the year are moved to the
--   general budget (调入一般公共预算, 补充预算稳定调节基金). Per region (the ledger seldom maps a
--   carry-over onto a fund's revenue code, so the region's funds are read together): what is
--   left of the fund budget's carry-overs (年初结转结余 − 已支出 − 已收回) over the fund budget's
--   income for the year as budgeted (adjusted budget, detail revenue rows). Yellow above
--   max_pct, red from red_pct. Each dataset's latest extract of the last three months of the year
--   stands.
WITH latest AS (
    SELECT coalesce(region_code, '') AS region_code, max(period) AS data_period
    FROM carryovers
    WHERE period >= $since AND period <= $period AND substr(period, 1, 4) = substr($period, 1, 4)
    GROUP BY coalesce(region_code, '')
), c AS (
    SELECT latest.region_code, latest.data_period, max(c.region_name) AS region_name,
           sum(c.amount) - coalesce(sum(c.spent_amount), 0) - coalesce(sum(c.recovered_amount), 0) AS remaining
    FROM carryovers c JOIN latest ON coalesce(c.region_code, '') = latest.region_code AND c.period = latest.data_period
    WHERE c.budget_kind LIKE '%政府性基金%'
    GROUP BY latest.region_code, latest.data_period
), rl AS (
    SELECT coalesce(region_code, '') AS region_code, max(period) AS rev_period
    FROM revenue
    WHERE period >= $since AND period <= $period AND substr(period, 1, 4) = substr($period, 1, 4)
    GROUP BY coalesce(region_code, '')
), inc AS (
    SELECT rl.region_code, max(r.region_name) AS region_name, sum(r.adjusted_budget) AS income
    FROM revenue r JOIN rl ON coalesce(r.region_code, '') = rl.region_code AND r.period = rl.rev_period
    WHERE r.is_detail AND r.budget_kind LIKE '%政府性基金%'
    GROUP BY rl.region_code
), j AS (
    SELECT c.*, inc.income, coalesce(c.region_name, inc.region_name, c.region_code) AS subject,
           100.0 * CAST(c.remaining AS DOUBLE) / CAST(inc.income AS DOUBLE) AS pct
    FROM c JOIN inc ON c.region_code = inc.region_code
    WHERE inc.income > 0
)
SELECT region_code, subject,
       CASE WHEN pct >= $red_pct THEN '红' ELSE '黄' END AS level,
       round(pct, CASE WHEN round(pct, 1) <> $max_pct THEN 1 WHEN round(pct, 2) <> $max_pct THEN 2 ELSE 4 END) AS value,
       $max_pct AS expected,
       round(pct - $max_pct, 1) AS difference,
       remaining, income,
       CAST(remaining - income * $max_pct / 100 AS DECIMAL(20, 2)) AS excess,
       data_period
FROM j
WHERE pct > $max_pct
