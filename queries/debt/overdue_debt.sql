-- id: overdue_debt
-- title: 逾期债务率 | Overdue debt
-- category: 流量
-- focus: debt
-- budgets: general, fund
-- stake: overdue
-- datasets: debt
-- cadence: year
-- finding: state
-- basis: balance
-- severity: level
-- params: low_pct = 10, medium_pct = 20, severe_pct = 50
-- key: region_code, debt_type
-- message: {subject}{debt_type}逾期{overdue}，逾期率{value}%（{band}，数据截至{data_period}） | {subject}: {overdue} or {value}% of {debt_type} overdue ({band_en}, data as of {data_period})
-- description: Overdue debt over balance: 10–20 % low (蓝), 20–50 % medium (橙), above 50 % severe
--   (红). Each region's latest debt table of the last twelve months stands (cadence: year).
WITH latest AS (
    SELECT coalesce(region_code, '') AS region_code, max(period) AS data_period
    FROM debt
    WHERE period >= $since AND period <= $period
    GROUP BY coalesce(region_code, '')
), d AS (
    SELECT latest.region_code, latest.data_period, coalesce(d.debt_type, '') AS debt_type,
           max(d.region_name) AS region_name, sum(d.overdue) AS overdue, sum(d.debt_balance) AS debt_balance
    FROM debt d JOIN latest ON coalesce(d.region_code, '') = latest.region_code AND d.period = latest.data_period
    GROUP BY latest.region_code, latest.data_period, coalesce(d.debt_type, '')
), r AS (
    SELECT *, 100.0 * CAST(overdue AS DOUBLE) / CAST(debt_balance AS DOUBLE) AS rate
    FROM d WHERE debt_balance > 0 AND overdue > 0
)
SELECT region_code, debt_type, data_period,
       coalesce(region_name, region_code) AS subject,
       CASE WHEN rate > $severe_pct THEN '红' WHEN rate >= $medium_pct THEN '橙' ELSE '蓝' END AS level,
       CASE WHEN rate > $severe_pct THEN '严重' WHEN rate >= $medium_pct THEN '中度' ELSE '轻度' END AS band,
       CASE WHEN rate > $severe_pct THEN 'severe' WHEN rate >= $medium_pct THEN 'medium' ELSE 'low' END AS band_en,
       -- One more decimal where rounding would read as a line itself (19.96 % is light, not 20.0 %).
       round(rate, CASE WHEN round(rate, 1) <> $low_pct AND round(rate, 1) <> $medium_pct AND round(rate, 1) <> $severe_pct THEN 1 WHEN round(rate, 2) <> $low_pct AND round(rate, 2) <> $medium_pct AND round(rate, 2) <> $severe_pct THEN 2 WHEN round(rate, 3) <> $low_pct AND round(rate, 3) <> $medium_pct AND round(rate, 3) <> $severe_pct THEN 3 ELSE 4 END) AS value,
       $low_pct AS expected,
       round(rate - $low_pct, CASE WHEN round(rate, 1) <> $low_pct AND round(rate, 1) <> $medium_pct AND round(rate, 1) <> $severe_pct THEN 1 WHEN round(rate, 2) <> $low_pct AND round(rate, 2) <> $medium_pct AND round(rate, 2) <> $severe_pct THEN 2 WHEN round(rate, 3) <> $low_pct AND round(rate, 3) <> $medium_pct AND round(rate, 3) <> $severe_pct THEN 3 ELSE 4 END) AS difference,
       overdue, debt_balance
FROM r
WHERE rate >= $low_pct
