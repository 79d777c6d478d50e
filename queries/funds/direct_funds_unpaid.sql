-- id: direct_funds_unpaid
-- title: 直达资金分配后未拨付 | Direct funds allocated but not paid out
-- category: 流速
-- focus: transfers
-- budgets: general
-- stake: allocated_amount
-- datasets: special_funds
-- cadence: month
-- finding: state
-- basis: balance
-- severity: level
-- params: days = 30, red_days = 90
-- key: region_code, fund_key, project_key
-- message: {subject}（直达资金）{allocated_date}分配{allocated_amount}，已{value}天未拨付分文 | {subject} (direct funds): {allocated_amount} allocated on {allocated_date}, nothing paid out in {value} days
-- description: 直达资金 are to reach the people and firms they are for quickly: money allocated
--   (分配) to a project and not paid out (拨付, nor spent) at all `days` days after its allocation
--   is stuck in the pipe, yellow; red from red_days. Per region × fund × project, on the month's
--   special-funds extract; tranches of one project count together (a project with any payment
--   is not stuck, whatever its progress: that is direct_funds_progress's business).
WITH f AS (
    SELECT coalesce(region_code, '') AS region_code,
           coalesce(fund_code, fund_name) AS fund_key,
           coalesce(project_code, project_name, '') AS project_key,
           max(fund_name) AS fund_name, max(project_name) AS project_name, max(dept_name) AS dept_name,
           sum(allocated_amount) AS allocated_amount,
           coalesce(sum(disbursed_amount), 0) AS disbursed_amount,
           coalesce(sum(spent_amount), 0) AS spent_amount,
           min(allocated_date) AS allocated_date
    FROM special_funds
    WHERE period = $period AND is_direct AND allocated_amount > 0 AND allocated_date IS NOT NULL
      AND allocated_date <= CAST($period_end AS DATE)
    GROUP BY coalesce(region_code, ''), coalesce(fund_code, fund_name), coalesce(project_code, project_name, '')
), d AS (
    SELECT *, CAST((date_part('epoch', CAST($period_end AS DATE)) - date_part('epoch', allocated_date)) / 86400 AS BIGINT) AS idle_days
    FROM f WHERE disbursed_amount = 0 AND spent_amount = 0
)
SELECT region_code, fund_key, project_key,
       coalesce(project_name, fund_name) AS subject,
       fund_name, dept_name,
       CASE WHEN idle_days >= $red_days THEN '红' ELSE '黄' END AS level,
       idle_days AS value,
       $days AS expected,
       idle_days - $days AS difference,
       allocated_amount, allocated_date
FROM d
WHERE idle_days >= $days
