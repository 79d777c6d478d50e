-- id: debt_ratio
-- title: 债务率风险 | Debt ratio risk
-- category: 流量
-- focus: debt
-- budgets: general, fund
-- stake: debt_balance
-- datasets: debt
-- cadence: year
-- finding: state
-- basis: balance
-- severity: level
-- params: yellow_pct = 120, orange_pct = 200, red_pct = 300
-- key: region_code
-- message: {subject}债务率{value}%（{band}）：债务余额{debt_balance}，综合财力{fiscal_capacity}（数据截至{data_period}） | {subject}: debt ratio {value}% ({band_en}): balance {debt_balance} against fiscal capacity {fiscal_capacity} (data as of {data_period})
-- description: Debt balance (一般 + 专项, a 合计 row left out) over comprehensive fiscal capacity
--   (综合财力). Green below 120 %, yellow 120–200 %, orange 200–300 %, red from 300 %. Each
--   region's latest debt table of the last twelve months stands (cadence: year).
WITH latest AS (
    SELECT coalesce(region_code, '') AS region_code, max(period) AS data_period
    FROM debt
    WHERE period >= $since AND period <= $period
    GROUP BY coalesce(region_code, '')
), r AS (
    SELECT latest.region_code, latest.data_period, max(d.region_name) AS region_name,
           sum(d.debt_balance) AS debt_balance,
           max(d.fiscal_capacity) AS fiscal_capacity
    FROM debt d JOIN latest ON coalesce(d.region_code, '') = latest.region_code AND d.period = latest.data_period
    WHERE coalesce(d.debt_type, '') NOT LIKE '%合计%'
    GROUP BY latest.region_code, latest.data_period
), x AS (
    SELECT *, 100.0 * CAST(debt_balance AS DOUBLE) / CAST(fiscal_capacity AS DOUBLE) AS ratio
    FROM r WHERE fiscal_capacity > 0
)
SELECT region_code, data_period,
       coalesce(region_name, region_code) AS subject,
       CASE WHEN ratio >= $red_pct THEN '红' WHEN ratio >= $orange_pct THEN '橙' ELSE '黄' END AS level,
       CASE WHEN ratio >= $red_pct THEN '红色风险' WHEN ratio >= $orange_pct THEN '橙色风险' ELSE '黄色风险' END AS band,
       CASE WHEN ratio >= $red_pct THEN 'red' WHEN ratio >= $orange_pct THEN 'orange' ELSE 'yellow' END AS band_en,
       -- One more decimal where rounding would read as a band's line (199.99 % is yellow, not 200.0 %).
       round(ratio, CASE WHEN round(ratio, 1) <> $yellow_pct AND round(ratio, 1) <> $orange_pct AND round(ratio, 1) <> $red_pct THEN 1 WHEN round(ratio, 2) <> $yellow_pct AND round(ratio, 2) <> $orange_pct AND round(ratio, 2) <> $red_pct THEN 2 WHEN round(ratio, 3) <> $yellow_pct AND round(ratio, 3) <> $orange_pct AND round(ratio, 3) <> $red_pct THEN 3 ELSE 4 END) AS value,
       $yellow_pct AS expected,
       round(ratio - $yellow_pct, CASE WHEN round(ratio, 1) <> $yellow_pct AND round(ratio, 1) <> $orange_pct AND round(ratio, 1) <> $red_pct THEN 1 WHEN round(ratio, 2) <> $yellow_pct AND round(ratio, 2) <> $orange_pct AND round(ratio, 2) <> $red_pct THEN 2 WHEN round(ratio, 3) <> $yellow_pct AND round(ratio, 3) <> $orange_pct AND round(ratio, 3) <> $red_pct THEN 3 ELSE 4 END) AS difference,
       debt_balance, fiscal_capacity
FROM x
WHERE ratio >= $yellow_pct
