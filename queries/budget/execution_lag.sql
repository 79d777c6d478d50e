-- id: execution_lag
-- title: 支出进度滞后 | Spending behind time progress
-- category: 流速
-- focus: department
-- budgets: general
-- stake: adjusted_budget
-- datasets: budget_execution
-- cadence: month
-- finding: state
-- basis: ytd
-- severity: level
-- params: yellow_pp = 10, red_pp = 20
-- key: region_code, agency_code
-- message: {subject}累计支出{ytd_amount}，为调整预算{adjusted_budget}的{value}%，序时进度{expected}%，落后{difference}个百分点 | {subject} has spent {ytd_amount}, {value}% of its adjusted budget of {adjusted_budget}, against time progress {expected}%: {difference} pp behind
-- description: A budget unit's year-to-date spending over its adjusted budget, against the share
--   of the year gone (month / 12). Detail rows only, all budget kinds of the unit together, per
--   region (two regions may reuse a unit code). Reversals (冲销, negative amounts) count as they
--   are: they lower the spending. Units without a positive budget are over_budget's business.
WITH unit AS (
    SELECT region_code, agency_code,
           max(agency_name) AS agency_name,
           max(dept_name) AS dept_name,
           sum(ytd_amount) AS ytd_amount,
           sum(adjusted_budget) AS adjusted_budget
    FROM budget_execution
    WHERE period = $period AND is_detail
    GROUP BY region_code, agency_code
    HAVING sum(adjusted_budget) > 0
), gap AS (
    SELECT *,
           100.0 * CAST(ytd_amount AS DOUBLE) / CAST(adjusted_budget AS DOUBLE) AS execution,
           100.0 * CAST($month AS DOUBLE) / 12.0 AS time_progress
    FROM unit
)
SELECT region_code,
       agency_code,
       coalesce(agency_name, agency_code) AS subject,
       dept_name,
       CASE WHEN time_progress - execution >= $red_pp THEN '红' ELSE '黄' END AS level,
       -- One more decimal where rounding would read as a line itself (19.96 pp behind is yellow, not 20.0).
       round(execution, CASE WHEN round(time_progress - execution, 1) <> $yellow_pp AND round(time_progress - execution, 1) <> $red_pp THEN 1 WHEN round(time_progress - execution, 2) <> $yellow_pp AND round(time_progress - execution, 2) <> $red_pp THEN 2 WHEN round(time_progress - execution, 3) <> $yellow_pp AND round(time_progress - execution, 3) <> $red_pp THEN 3 ELSE 4 END) AS value,
       round(time_progress, 1) AS expected,
       round(time_progress - execution, CASE WHEN round(time_progress - execution, 1) <> $yellow_pp AND round(time_progress - execution, 1) <> $red_pp THEN 1 WHEN round(time_progress - execution, 2) <> $yellow_pp AND round(time_progress - execution, 2) <> $red_pp THEN 2 WHEN round(time_progress - execution, 3) <> $yellow_pp AND round(time_progress - execution, 3) <> $red_pp THEN 3 ELSE 4 END) AS difference,
       ytd_amount,
       adjusted_budget
FROM gap
WHERE time_progress - execution >= $yellow_pp
