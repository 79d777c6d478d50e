-- id: debt_service_ratio
-- title: 偿债率偏高 | Debt service ratio high
-- category: 流量
-- focus: debt
-- budgets: general, fund
-- stake: debt_service
-- datasets: debt
-- cadence: year
-- finding: state
-- basis: balance
-- severity: level
-- params: yellow_pct = 10, red_pct = 20
-- key: region_code
-- message: {subject}偿债率{value}%（{band}）：截至{data_period}累计还本{principal_repaid}、付息{interest_paid}，按{months}个月折算全年，综合财力{fiscal_capacity} | {subject}: debt service ratio {value}% ({band_en}): {principal_repaid} principal and {interest_paid} interest paid to {data_period}, over {months} months scaled to the year, against fiscal capacity {fiscal_capacity}
-- description: 偿债率: the year's principal and interest on government debt (一般 + 专项, a 合计 row
--   left out) over comprehensive fiscal capacity (综合财力). Debt tables give what was repaid so
--   far in the year (还本额, 付息额): a table of month m is scaled to the year by 12 / m, so a
--   December table stands as it is. Yellow from yellow_pct %, red from red_pct % (watch lines set
--   as parameters, beside debt_ratio's 120 %). Each region's latest debt table of the last twelve
--   months stands (cadence: year); a table that reports neither repayment is not judged, one that
--   reports only one counts the other as nothing (the ratio is then a floor).
WITH latest AS (
    SELECT coalesce(region_code, '') AS region_code, max(period) AS data_period
    FROM debt
    WHERE period >= $since AND period <= $period
    GROUP BY coalesce(region_code, '')
), r AS (
    SELECT latest.region_code, latest.data_period, max(d.region_name) AS region_name,
           sum(d.principal_repaid) AS principal_repaid,
           sum(d.interest_paid) AS interest_paid,
           count(d.principal_repaid) + count(d.interest_paid) AS reported,
           max(d.fiscal_capacity) AS fiscal_capacity
    FROM debt d JOIN latest ON coalesce(d.region_code, '') = latest.region_code AND d.period = latest.data_period
    WHERE coalesce(d.debt_type, '') NOT LIKE '%合计%'
    GROUP BY latest.region_code, latest.data_period
), x AS (
    SELECT *,
           CAST(substr(data_period, 6, 2) AS INTEGER) AS months,
           100.0 * CAST(coalesce(principal_repaid, 0) + coalesce(interest_paid, 0) AS DOUBLE) * 12.0
               / CAST(substr(data_period, 6, 2) AS DOUBLE) / CAST(fiscal_capacity AS DOUBLE) AS ratio
    FROM r WHERE fiscal_capacity > 0 AND reported > 0
)
SELECT region_code, data_period,
       coalesce(region_name, region_code) AS subject,
       CASE WHEN ratio >= $red_pct THEN '红' ELSE '黄' END AS level,
       CASE WHEN ratio >= $red_pct THEN '红色' ELSE '黄色' END AS band,
       CASE WHEN ratio >= $red_pct THEN 'red' ELSE 'yellow' END AS band_en,
       -- One more decimal where rounding would read as a line (19.996 % is yellow, not 20.0 %).
       round(ratio, CASE WHEN round(ratio, 1) <> $yellow_pct AND round(ratio, 1) <> $red_pct THEN 1 WHEN round(ratio, 2) <> $yellow_pct AND round(ratio, 2) <> $red_pct THEN 2 ELSE 4 END) AS value,
       CASE WHEN ratio >= $red_pct THEN $red_pct ELSE $yellow_pct END AS expected,
       round(ratio - CASE WHEN ratio >= $red_pct THEN $red_pct ELSE $yellow_pct END, CASE WHEN round(ratio, 1) <> $yellow_pct AND round(ratio, 1) <> $red_pct THEN 1 WHEN round(ratio, 2) <> $yellow_pct AND round(ratio, 2) <> $red_pct THEN 2 ELSE 4 END) AS difference,
       months,
       coalesce(principal_repaid, 0) AS principal_repaid,
       coalesce(interest_paid, 0) AS interest_paid,
       coalesce(principal_repaid, 0) + coalesce(interest_paid, 0) AS debt_service,
       fiscal_capacity
FROM x
WHERE ratio >= $yellow_pct
