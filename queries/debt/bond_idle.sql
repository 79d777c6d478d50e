-- id: bond_idle
-- title: 专项债券资金闲置 | Special bond proceeds lying idle
-- category: 流速
-- focus: debt
-- budgets: fund
-- stake: idle_amount
-- datasets: bonds
-- cadence: quarter
-- finding: state
-- basis: balance
-- severity: level
-- params: idle_months = 3, red_months = 6
-- key: region_code, bond_code, project_key
-- message: {subject}专项债券资金{idle_amount}未使用，累计使用额{used_amount}自{since_period}以来{value}个月未变（数据截至{data_period}） | {subject}: {idle_amount} of bond proceeds unused, the amount used ({used_amount}) unchanged for {value} months since {since_period} (data as of {data_period})
-- description: Bond proceeds are to be spent promptly; money that sits (闲置) costs interest for
--   nothing. Per region × bond × project, with part of the proceeds unused: the months since the
--   cumulative amount used (累计使用额) last changed, from the earliest ledger that already shows
--   today's figure to the latest ledger up to the period. idle_months or more yellow, red_months
--   or more red. A ledger missing in between does not restart the count. special_bond_use reads
--   the same ledgers against a spending schedule; this rule reads the standstill.
WITH ledger AS (
    SELECT coalesce(region_code, '') AS region_code, bond_code,
           coalesce(project_code, project_name, '') AS project_key, period,
           max(bond_name) AS bond_name, max(project_name) AS project_name, max(dept_name) AS dept_name,
           sum(amount) AS amount, sum(used_amount) AS used_amount
    FROM bonds
    WHERE period <= $period
    GROUP BY coalesce(region_code, ''), bond_code, coalesce(project_code, project_name, ''), period
), latest AS (
    SELECT region_code, max(period) AS data_period FROM ledger
    WHERE period >= $since GROUP BY region_code
), now_rows AS (
    SELECT r.* FROM ledger r JOIN latest l ON r.region_code = l.region_code AND r.period = l.data_period
    WHERE r.used_amount < r.amount
), still AS (
    SELECT n.region_code, n.bond_code, n.project_key, min(r.period) AS since_period
    FROM now_rows n JOIN ledger r
      ON r.region_code = n.region_code AND r.bond_code = n.bond_code AND r.project_key = n.project_key
     AND r.used_amount = n.used_amount
    GROUP BY n.region_code, n.bond_code, n.project_key
), m AS (
    SELECT n.*, s.since_period,
           (CAST(substr(n.period, 1, 4) AS BIGINT) - CAST(substr(s.since_period, 1, 4) AS BIGINT)) * 12
             + CAST(substr(n.period, 6, 2) AS BIGINT) - CAST(substr(s.since_period, 6, 2) AS BIGINT) AS months
    FROM now_rows n JOIN still s
      ON n.region_code = s.region_code AND n.bond_code = s.bond_code AND n.project_key = s.project_key
)
SELECT region_code, bond_code, project_key,
       coalesce(project_name, bond_name) AS subject,
       bond_name, dept_name,
       CASE WHEN months >= $red_months THEN '红' ELSE '黄' END AS level,
       months AS value, $idle_months AS expected, months - $idle_months AS difference,
       amount - used_amount AS idle_amount, used_amount, amount, since_period, period AS data_period
FROM m
WHERE months >= $idle_months
