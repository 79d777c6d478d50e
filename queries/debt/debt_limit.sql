-- id: debt_limit
-- title: 债务余额超限额 | Debt balance above the approved limit
-- category: 合规
-- datasets: debt
-- cadence: year
-- severity: 红
-- key: region_code, debt_type
-- message: {subject}{debt_type}余额{value}，超过限额{expected}，超出{difference}（数据截至{data_period}） | {subject}: {debt_type} balance {value} is {difference} above its limit {expected} (data as of {data_period})
-- description: 《预算法》 §35: local government debt stays within the limit the NPC approves.
--   Debt tables come quarterly or once a year, so each region's latest table of the last twelve
--   months stands (cadence: year): a month without a debt table neither repeats nor clears the
--   breach by itself. One row per region and debt type (一般 / 专项, a 合计 row is its own type).
WITH latest AS (
    -- A join on each region's newest period, not max(period) OVER (PARTITION BY region): DuckDB
    -- 2.0.1 evaluates that window before the filter on a hive partition column (wrong results),
    -- and the rules must read the same on every engine.
    SELECT coalesce(region_code, '') AS region_code, max(period) AS data_period
    FROM debt
    WHERE period >= $since AND period <= $period
    GROUP BY coalesce(region_code, '')
), d AS (
    SELECT latest.region_code, latest.data_period, coalesce(d.debt_type, '') AS debt_type,
           max(d.region_name) AS region_name,
           sum(d.debt_balance) AS debt_balance, sum(d.debt_limit) AS debt_limit
    FROM debt d JOIN latest ON coalesce(d.region_code, '') = latest.region_code AND d.period = latest.data_period
    WHERE d.debt_limit IS NOT NULL
    GROUP BY latest.region_code, latest.data_period, coalesce(d.debt_type, '')
)
SELECT region_code, debt_type, data_period,
       coalesce(region_name, region_code) AS subject,
       debt_balance AS value,
       debt_limit AS expected,
       debt_balance - debt_limit AS difference
FROM d
WHERE debt_balance > debt_limit
