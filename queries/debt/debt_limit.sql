-- id: debt_limit
-- title: 债务余额超限额 | Debt balance above the approved limit
-- category: 合规
-- focus: debt
-- budgets: general, fund
-- stake: difference
-- datasets: debt
-- cadence: year
-- finding: state
-- basis: balance
-- severity: 红
-- key: region_code, debt_type
-- requires: debt_limit, debt_balance
-- message: {subject}{debt_type}余额{value}，超过限额{expected}，超出{difference}（余额截至{data_period}，限额截至{limit_period}） | {subject}: {debt_type} balance {value} is {difference} above its limit {expected} (balance as of {data_period}, limit as of {limit_period})
-- description: 《预算法》 §35: local government debt stays within the limit the NPC approves.
--   Balances come monthly or quarterly, limits once a year: each measure keeps its latest value
--   of the last twelve months (cadence: year), so a month that reports balances only is judged
--   against the limit still in force, never as clean, and a month without a debt table neither
--   repeats nor clears the breach by itself. A region with no limit in the window is not judged
--   (`requires`). One row per region and debt type (一般 / 专项, a 合计 row is its own type).
WITH balance_at AS (
    -- Joins on each measure's newest period, not max(period) OVER (PARTITION BY …): DuckDB 2.0.1
    -- evaluates that window before the filter on a hive partition column (wrong results), and the
    -- rules must read the same on every engine.
    SELECT coalesce(region_code, '') AS region_code, coalesce(debt_type, '') AS debt_type, max(period) AS data_period
    FROM debt
    WHERE period >= $since AND period <= $period AND debt_balance IS NOT NULL
    GROUP BY coalesce(region_code, ''), coalesce(debt_type, '')
), limit_at AS (
    SELECT coalesce(region_code, '') AS region_code, coalesce(debt_type, '') AS debt_type, max(period) AS limit_period
    FROM debt
    WHERE period >= $since AND period <= $period AND debt_limit IS NOT NULL
    GROUP BY coalesce(region_code, ''), coalesce(debt_type, '')
), balance AS (
    SELECT a.region_code, a.debt_type, a.data_period, max(d.region_name) AS region_name,
           sum(d.debt_balance) AS debt_balance
    FROM debt d JOIN balance_at a
      ON coalesce(d.region_code, '') = a.region_code AND coalesce(d.debt_type, '') = a.debt_type
     AND d.period = a.data_period
    WHERE d.debt_balance IS NOT NULL
    GROUP BY a.region_code, a.debt_type, a.data_period
), lim AS (
    SELECT a.region_code, a.debt_type, a.limit_period, sum(d.debt_limit) AS debt_limit
    FROM debt d JOIN limit_at a
      ON coalesce(d.region_code, '') = a.region_code AND coalesce(d.debt_type, '') = a.debt_type
     AND d.period = a.limit_period
    WHERE d.debt_limit IS NOT NULL
    GROUP BY a.region_code, a.debt_type, a.limit_period
)
SELECT b.region_code, b.debt_type, b.data_period, l.limit_period,
       coalesce(b.region_name, b.region_code) AS subject,
       b.debt_balance AS value,
       l.debt_limit AS expected,
       b.debt_balance - l.debt_limit AS difference
FROM balance b JOIN lim l ON b.region_code = l.region_code AND b.debt_type = l.debt_type
WHERE b.debt_balance > l.debt_limit
