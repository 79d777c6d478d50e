-- id: direct_funds_progress
-- title: 直达资金支出进度滞后 | Direct funds spent behind schedule
-- category: 流速
-- focus: transfers
-- budgets: general
-- stake: allocated_amount
-- datasets: special_funds
-- cadence: month
-- finding: state
-- basis: balance
-- severity: level
-- params: year_end_pct = 90, yellow_pp = 10, red_pp = 20
-- key: region_code, fund_key
-- message: {subject}（直达资金）已分配{allocated_amount}，已{used_zh}{used_amount}，占{value}%，按分配后序时应达{expected}%，落后{difference}个百分点 | {subject} (direct funds): {allocated_amount} allocated, {used_amount} {used_en} or {value}%, against {expected}% due on the time since allocation: {difference} pp behind
-- description: 直达资金 (funds the centre sends straight to the people and firms they are for,
--   is_direct) are watched for 支出进度 against 序时进度, as the Ministry's 直达资金监控系统 does: per
--   region × fund, the share of what is allocated that is used (支出金额; an extract with only
--   拨付 is judged on 拨付 and says so; one with neither is not judged), against the share of the
--   rest of the year gone since each tranche was allocated (days from the allocation date, or 1
--   January for money allocated in an earlier year, to the month's end, over the days to 31
--   December, both counted inclusively; tranches weighted by their amounts), of year_end_pct %
--   (what is to be used by the year's end: some spending settles in the next year's first
--   weeks, so 100 % by 31 December would flag every fund). Money issued but not
--   yet allocated is idle_special_funds' business (late allocation), not this rule's.
WITH rows_now AS (
    SELECT coalesce(region_code, '') AS region_code,
           coalesce(fund_code, fund_name) AS fund_key,
           fund_name, dept_name, allocated_amount, spent_amount, disbursed_amount, allocated_date,
           CASE WHEN allocated_date < make_date($year, 1, 1) THEN make_date($year, 1, 1) ELSE allocated_date END AS since
    FROM special_funds
    WHERE period = $period AND is_direct AND allocated_amount > 0 AND allocated_date IS NOT NULL
      AND allocated_date <= CAST($period_end AS DATE)
), shares AS (
    SELECT *,
           CAST((date_part('epoch', CAST($period_end AS DATE)) - date_part('epoch', since)) / 86400 AS BIGINT) + 1 AS elapsed_days,
           CAST((date_part('epoch', make_date($year, 12, 31)) - date_part('epoch', since)) / 86400 AS BIGINT) + 1 AS span_days
    FROM rows_now
), f AS (
    SELECT region_code, fund_key,
           max(fund_name) AS fund_name, max(dept_name) AS dept_name,
           sum(allocated_amount) AS allocated_amount,
           sum(spent_amount) AS spent_amount,
           sum(disbursed_amount) AS disbursed_amount,
           count(spent_amount) > 0 AS has_spent,
           min(allocated_date) AS allocated_date,
           $year_end_pct * sum(CAST(allocated_amount AS DOUBLE) * CAST(elapsed_days AS DOUBLE) / CAST(span_days AS DOUBLE))
               / CAST(sum(allocated_amount) AS DOUBLE) AS due_pct
    FROM shares
    GROUP BY region_code, fund_key
), used AS (
    SELECT *,
           CASE WHEN has_spent THEN spent_amount ELSE disbursed_amount END AS used_amount,
           CASE WHEN has_spent THEN '支出' ELSE '拨付' END AS used_zh,
           CASE WHEN has_spent THEN 'spent' ELSE 'disbursed' END AS used_en
    FROM f
), gap AS (
    SELECT *, 100.0 * CAST(used_amount AS DOUBLE) / CAST(allocated_amount AS DOUBLE) AS used_pct
    FROM used WHERE used_amount IS NOT NULL
)
SELECT region_code, fund_key,
       fund_name AS subject,
       dept_name,
       CASE WHEN due_pct - used_pct >= $red_pp THEN '红' ELSE '黄' END AS level,
       -- One more decimal where rounding would read as a line itself.
       round(used_pct, CASE WHEN round(due_pct - used_pct, 1) <> $yellow_pp AND round(due_pct - used_pct, 1) <> $red_pp THEN 1 WHEN round(due_pct - used_pct, 2) <> $yellow_pp AND round(due_pct - used_pct, 2) <> $red_pp THEN 2 ELSE 4 END) AS value,
       round(due_pct, CASE WHEN round(due_pct - used_pct, 1) <> $yellow_pp AND round(due_pct - used_pct, 1) <> $red_pp THEN 1 WHEN round(due_pct - used_pct, 2) <> $yellow_pp AND round(due_pct - used_pct, 2) <> $red_pp THEN 2 ELSE 4 END) AS expected,
       round(due_pct - used_pct, CASE WHEN round(due_pct - used_pct, 1) <> $yellow_pp AND round(due_pct - used_pct, 1) <> $red_pp THEN 1 WHEN round(due_pct - used_pct, 2) <> $yellow_pp AND round(due_pct - used_pct, 2) <> $red_pp THEN 2 ELSE 4 END) AS difference,
       used_zh, used_en, allocated_amount, used_amount, spent_amount, disbursed_amount, allocated_date
FROM gap
WHERE due_pct - used_pct >= $yellow_pp
