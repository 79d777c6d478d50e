-- id: temporary_advances
-- title: 暂付性款项余额偏高 | Temporary advances high
-- category: 流量
-- focus: structure
-- budgets: general
-- stake: balance
-- datasets: balances, budget_execution
-- cadence: quarter
-- finding: state
-- basis: balance
-- severity: level
-- params: yellow_pct = 5, red_pct = 10
-- key: region_code
-- message: {subject}暂付性款项余额{balance}，为当年一般公共预算支出{expenditure}的{value}%，达到{expected}%的控制线（数据截至{data_period}） | {subject}: temporary advances of {balance}, {value}% of the year's general budget expenditure of {expenditure}, at or above the {expected}% line (data as of {data_period})
-- description: 暂付款 (and the other 暂付性款项: 借出款项, 其他应收 held for spending units) are money
--   paid out of the treasury outside the budget, to be cleared down; their balance is commonly
--   held to about 5 % of the year's general budget expenditure (yellow_pct; red from red_pct).
--   Per region: the balance rows whose item names 暂付 or 借出 (the treasury's own accounts, not
--   a fund's: rows naming a 社会保险 budget are left out) over the general budget's adjusted
--   expenditure of the same year (detail rows of budget execution). Balances and execution each
--   stand in their latest extract of the last three months of the year (cadence: quarter); a
--   region with either missing is not judged.
WITH bal AS (
    SELECT coalesce(region_code, '') AS region_code, max(period) AS data_period
    FROM balances
    WHERE period >= $since AND period <= $period AND substr(period, 1, 4) = substr($period, 1, 4)
    GROUP BY coalesce(region_code, '')
), adv AS (
    SELECT bal.region_code, bal.data_period, max(b.region_name) AS region_name, sum(b.balance) AS balance,
           sum(b.opening_balance) AS opening_balance
    FROM balances b JOIN bal ON coalesce(b.region_code, '') = bal.region_code AND b.period = bal.data_period
    WHERE (b.item_name LIKE '%暂付%' OR b.item_name LIKE '%借出%')
      AND coalesce(b.budget_kind, '') NOT LIKE '%社会保险%'
    GROUP BY bal.region_code, bal.data_period
), ex AS (
    SELECT coalesce(region_code, '') AS region_code, max(period) AS exec_period
    FROM budget_execution
    WHERE period >= $since AND period <= $period AND substr(period, 1, 4) = substr($period, 1, 4)
    GROUP BY coalesce(region_code, '')
), spend AS (
    SELECT ex.region_code, max(e.region_name) AS region_name, sum(e.adjusted_budget) AS expenditure
    FROM budget_execution e JOIN ex ON coalesce(e.region_code, '') = ex.region_code AND e.period = ex.exec_period
    WHERE e.is_detail AND (e.budget_kind IS NULL OR e.budget_kind LIKE '%一般公共%')
    GROUP BY ex.region_code
), r AS (
    SELECT adv.*, spend.expenditure, coalesce(adv.region_name, spend.region_name, adv.region_code) AS subject,
           100.0 * CAST(adv.balance AS DOUBLE) / CAST(spend.expenditure AS DOUBLE) AS ratio
    FROM adv JOIN spend ON adv.region_code = spend.region_code
    WHERE spend.expenditure > 0
)
SELECT region_code, subject,
       CASE WHEN ratio >= $red_pct THEN '红' ELSE '黄' END AS level,
       round(ratio, CASE WHEN round(ratio, 1) <> $yellow_pct AND round(ratio, 1) <> $red_pct THEN 1 WHEN round(ratio, 2) <> $yellow_pct AND round(ratio, 2) <> $red_pct THEN 2 ELSE 4 END) AS value,
       CASE WHEN ratio >= $red_pct THEN $red_pct ELSE $yellow_pct END AS expected,
       round(ratio - CASE WHEN ratio >= $red_pct THEN $red_pct ELSE $yellow_pct END, 1) AS difference,
       balance, opening_balance, expenditure, data_period
FROM r
WHERE ratio >= $yellow_pct
