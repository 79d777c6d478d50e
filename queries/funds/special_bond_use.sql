-- id: special_bond_use
-- title: 专项债券资金使用进度滞后 | Special bond proceeds used behind schedule
-- category: 流速
-- focus: debt
-- budgets: fund
-- datasets: bonds
-- cadence: quarter
-- finding: state
-- basis: balance
-- severity: level
-- params: window_months = 6, yellow_pp = 10, red_pp = 30
-- key: region_code, bond_code, project_key
-- message: {subject}已使用{used_amount}，占{value}%，按{window}个月使用期应达{expected}%（数据截至{data_period}） | {subject}: {used_amount} or {value}% used, {expected}% expected on a {window}-month schedule (data as of {data_period})
-- description: Bond proceeds are to be used within window_months of issue, evenly: k months after
--   issue, k / window_months of the amount should be used. Bond ledgers may come quarterly: each
--   region's latest ledger of the last three months stands, and the schedule is read at that
--   ledger's month (its use figures are as of then). One finding per region × bond × project.
WITH latest AS (
    SELECT coalesce(region_code, '') AS region_code, max(period) AS data_period
    FROM bonds
    WHERE period >= $since AND period <= $period
    GROUP BY coalesce(region_code, '')
), b AS (
    SELECT latest.region_code, latest.data_period, bonds.bond_code,
           coalesce(bonds.project_code, bonds.project_name, '') AS project_key,
           max(bonds.bond_name) AS bond_name, max(bonds.project_name) AS project_name, max(bonds.dept_name) AS dept_name,
           sum(bonds.amount) AS amount, sum(bonds.used_amount) AS used_amount, min(bonds.issue_date) AS issue_date
    FROM bonds JOIN latest ON coalesce(bonds.region_code, '') = latest.region_code AND bonds.period = latest.data_period
    GROUP BY latest.region_code, latest.data_period, bonds.bond_code, coalesce(bonds.project_code, bonds.project_name, '')
), e AS (
    SELECT *,
           (CAST(substr(data_period, 1, 4) AS BIGINT) - CAST(date_part('year', issue_date) AS BIGINT)) * 12
             + CAST(substr(data_period, 6, 2) AS BIGINT) - CAST(date_part('month', issue_date) AS BIGINT) AS months,
           100.0 * CAST(used_amount AS DOUBLE) / CAST(amount AS DOUBLE) AS used_pct
    FROM b WHERE amount > 0
), x AS (
    SELECT *, 100.0 * least(CAST(months AS DOUBLE) / $window_months, 1.0) AS expected_pct FROM e
)
SELECT region_code, bond_code, project_key, data_period,
       coalesce(project_name, bond_name) AS subject,
       dept_name, bond_name,
       CASE WHEN expected_pct - used_pct > $red_pp THEN '红' ELSE '黄' END AS level,
       round(used_pct, 1) AS value,
       round(expected_pct, 1) AS expected,
       round(expected_pct - used_pct, 1) AS difference,
       $window_months AS window,
       amount, used_amount, issue_date
FROM x
WHERE expected_pct - used_pct >= $yellow_pp
