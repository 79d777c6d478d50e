-- id: execution_lag
-- title: 支出进度滞后 | Spending behind time progress
-- category: 流速
-- datasets: budget_execution
-- severity: level
-- params: yellow_pp = 10, red_pp = 20
-- key: agency_code
-- message: {subject}累计支出{value}%，序时进度{expected}%，落后{difference}个百分点 | {subject} has spent {value}% against time progress {expected}%, {difference} pp behind
-- description: A budget unit's year-to-date spending over its adjusted budget, against the share
--   of the year gone (month / 12). Detail rows only, all budget kinds together.
WITH unit AS (
    SELECT agency_code,
           max(agency_name) AS agency_name,
           max(dept_name) AS dept_name,
           sum(ytd_amount) AS ytd_amount,
           sum(adjusted_budget) AS adjusted_budget,
           CAST(sum(ytd_amount) AS DOUBLE) AS spent,
           CAST(sum(adjusted_budget) AS DOUBLE) AS budget
    FROM budget_execution
    WHERE period = $period AND is_detail
    GROUP BY agency_code
    HAVING sum(adjusted_budget) > 0
), gap AS (
    SELECT *,
           100.0 * spent / budget AS execution,
           100.0 * CAST($month AS DOUBLE) / 12.0 AS time_progress
    FROM unit
)
SELECT agency_code AS alert_key,
       agency_name AS subject,
       agency_code,
       dept_name,
       CASE WHEN time_progress - execution >= $red_pp THEN '红' ELSE '黄' END AS level,
       round(execution, 1) AS value,
       round(time_progress, 1) AS expected,
       round(time_progress - execution, 1) AS difference,
       ytd_amount,
       adjusted_budget
FROM gap
WHERE time_progress - execution >= $yellow_pp
