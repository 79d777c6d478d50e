-- id: overdue_debt
-- title: 逾期债务率 | Overdue debt
-- category: 流量
-- datasets: debt
-- severity: level
-- params: low_pct = 10, medium_pct = 20, severe_pct = 50
-- key: region_code, debt_type
-- message: {subject}{debt_type}逾期率{value}%（{band}） | {subject}: {value}% of {debt_type} overdue ({band_en})
-- description: Overdue debt over balance: 10–20 % low (蓝), 20–50 % medium (橙), above 50 % severe (红).
WITH d AS (
    SELECT region_code, region_name, debt_type, overdue, debt_balance,
           100.0 * CAST(overdue AS DOUBLE) / CAST(debt_balance AS DOUBLE) AS rate
    FROM debt
    WHERE period = $period AND debt_balance > 0 AND overdue > 0
)
SELECT region_code || '|' || debt_type AS alert_key,
       coalesce(region_name, region_code) AS subject,
       debt_type,
       CASE WHEN rate > $severe_pct THEN '红' WHEN rate >= $medium_pct THEN '橙' ELSE '蓝' END AS level,
       CASE WHEN rate > $severe_pct THEN '严重' WHEN rate >= $medium_pct THEN '中度' ELSE '轻度' END AS band,
       CASE WHEN rate > $severe_pct THEN 'severe' WHEN rate >= $medium_pct THEN 'medium' ELSE 'low' END AS band_en,
       round(rate, 1) AS value,
       $low_pct AS expected,
       round(rate - $low_pct, 1) AS difference,
       overdue, debt_balance
FROM d
WHERE rate >= $low_pct
