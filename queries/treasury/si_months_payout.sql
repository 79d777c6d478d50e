-- id: si_months_payout
-- title: 社保基金累计结余可支付月数偏低 | Social insurance balance covers few months of payout
-- category: 流量
-- focus: structure
-- budgets: social_insurance
-- stake: balance
-- datasets: balances, budget_execution
-- cadence: quarter
-- finding: state
-- basis: balance
-- severity: level
-- params: yellow_months = 6, red_months = 3
-- key: region_code
-- message: {subject}社会保险基金累计结余{balance}，按本年月均支出{monthly_payout}可支付{value}个月，低于{expected}个月（数据截至{data_period}） | {subject}: social insurance funds' accumulated balance of {balance} covers {value} months at this year's average monthly payout of {monthly_payout}, under {expected} (data as of {data_period})
-- description: 累计结余可支付月数: the social insurance funds' accumulated balance (balance rows of
--   the 社会保险基金预算 whose item names 结余) over the average monthly payout this year (the
--   社会保险基金预算's year-to-date expenditure, detail rows of budget execution, over the months
--   it covers). Under yellow_months yellow, under red_months red (watch lines: parameters). Per
--   region; balances and execution each stand in their latest extract of the last three months
--   of the year.
WITH bal AS (
    SELECT coalesce(region_code, '') AS region_code, max(period) AS data_period
    FROM balances
    WHERE period >= $since AND period <= $period AND substr(period, 1, 4) = substr($period, 1, 4)
      AND budget_kind LIKE '%社会保险%'
    GROUP BY coalesce(region_code, '')
), fund AS (
    SELECT bal.region_code, bal.data_period, max(b.region_name) AS region_name, sum(b.balance) AS balance
    FROM balances b JOIN bal ON coalesce(b.region_code, '') = bal.region_code AND b.period = bal.data_period
    WHERE b.budget_kind LIKE '%社会保险%' AND b.item_name LIKE '%结余%'
    GROUP BY bal.region_code, bal.data_period
), ex AS (
    SELECT coalesce(region_code, '') AS region_code, max(period) AS exec_period
    FROM budget_execution
    WHERE period >= $since AND period <= $period AND substr(period, 1, 4) = substr($period, 1, 4)
      AND budget_kind LIKE '%社会保险%'
    GROUP BY coalesce(region_code, '')
), pay AS (
    SELECT ex.region_code, ex.exec_period, max(e.region_name) AS region_name,
           sum(e.ytd_amount) AS ytd_payout
    FROM budget_execution e JOIN ex ON coalesce(e.region_code, '') = ex.region_code AND e.period = ex.exec_period
    WHERE e.is_detail AND e.budget_kind LIKE '%社会保险%'
    GROUP BY ex.region_code, ex.exec_period
), r AS (
    SELECT fund.*, pay.exec_period, pay.ytd_payout,
           coalesce(fund.region_name, pay.region_name, fund.region_code) AS subject,
           CAST(pay.ytd_payout AS DOUBLE) / CAST(substr(pay.exec_period, 6, 2) AS DOUBLE) AS monthly
    FROM fund JOIN pay ON fund.region_code = pay.region_code
    WHERE pay.ytd_payout > 0
)
SELECT region_code, subject,
       CASE WHEN CAST(balance AS DOUBLE) / monthly < $red_months THEN '红' ELSE '黄' END AS level,
       round(CAST(balance AS DOUBLE) / monthly, CASE WHEN round(CAST(balance AS DOUBLE) / monthly, 1) <> $yellow_months AND round(CAST(balance AS DOUBLE) / monthly, 1) <> $red_months THEN 1 WHEN round(CAST(balance AS DOUBLE) / monthly, 2) <> $yellow_months AND round(CAST(balance AS DOUBLE) / monthly, 2) <> $red_months THEN 2 ELSE 4 END) AS value,
       CASE WHEN CAST(balance AS DOUBLE) / monthly < $red_months THEN $red_months ELSE $yellow_months END AS expected,
       round(CAST(balance AS DOUBLE) / monthly - CASE WHEN CAST(balance AS DOUBLE) / monthly < $red_months THEN $red_months ELSE $yellow_months END, CASE WHEN round(CAST(balance AS DOUBLE) / monthly, 1) <> $yellow_months AND round(CAST(balance AS DOUBLE) / monthly, 1) <> $red_months THEN 1 WHEN round(CAST(balance AS DOUBLE) / monthly, 2) <> $yellow_months AND round(CAST(balance AS DOUBLE) / monthly, 2) <> $red_months THEN 2 ELSE 4 END) AS difference,
       balance, CAST(ytd_payout / CAST(substr(exec_period, 6, 2) AS BIGINT) AS DECIMAL(20, 2)) AS monthly_payout, ytd_payout, data_period, exec_period
FROM r
WHERE CAST(balance AS DOUBLE) / monthly < $yellow_months
