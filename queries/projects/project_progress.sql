-- id: project_progress
-- title: 项目进度滞后 | Project behind its investment plan
-- category: 流速
-- focus: key_spending
-- budgets: general, fund
-- stake: annual_plan
-- datasets: projects
-- cadence: month
-- finding: state
-- basis: ytd
-- severity: level
-- params: yellow_pp = 15, red_pp = 30
-- key: region_code, project_key
-- message: {subject}累计完成投资{ytd_completed}，为年度计划{annual_plan}的{value}%，序时进度{expected}%{window_zh} | {subject}: {ytd_completed} invested, {value}% of the annual plan of {annual_plan}, against time progress {expected}%{window_en}
-- description: 年初问计划、年中问进度、年底问结果: completed investment over the annual plan
--   against time progress, per region and project (by code, else name). Time progress is
--   month / 12 (序时进度), except for a project planned to start (计划开工) or finish (计划竣工)
--   within the year: then it is the share of its planned days within the year that have passed
--   by the period's end. A project due to start in October is not behind in September, and one
--   due to finish in June should be complete in September.
WITH p AS (
    SELECT coalesce(region_code, '') AS region_code, coalesce(project_code, project_name) AS project_key,
           max(project_name) AS project_name, max(dept_name) AS dept_name, max(project_type) AS project_type,
           sum(annual_plan) AS annual_plan, sum(ytd_completed) AS ytd_completed,
           min(plan_start) AS plan_start, max(plan_end) AS plan_end
    FROM projects
    WHERE period = $period
    GROUP BY coalesce(region_code, ''), coalesce(project_code, project_name)
), w AS (
    -- The project's planned days within this year (the whole year where a date is blank).
    SELECT *,
           CASE WHEN plan_start > CAST(CAST($year AS VARCHAR) || '-01-01' AS DATE) THEN plan_start
                ELSE CAST(CAST($year AS VARCHAR) || '-01-01' AS DATE) END AS from_day,
           CASE WHEN plan_end < CAST(CAST($year AS VARCHAR) || '-12-31' AS DATE) THEN plan_end
                ELSE CAST(CAST($year AS VARCHAR) || '-12-31' AS DATE) END AS to_day
    FROM p WHERE annual_plan > 0
), part AS (
    -- Planned for part of the year only: a plan that spans the whole year reads month / 12.
    SELECT *, from_day > CAST(CAST($year AS VARCHAR) || '-01-01' AS DATE)
              OR to_day < CAST(CAST($year AS VARCHAR) || '-12-31' AS DATE) AS in_part
    FROM w
), d AS (
    SELECT *, 100.0 * CAST(ytd_completed AS DOUBLE) / CAST(annual_plan AS DOUBLE) AS done,
           CASE WHEN NOT in_part THEN 100.0 * CAST($month AS DOUBLE) / 12.0
                WHEN $period_end >= to_day THEN 100.0
                WHEN $period_end < from_day THEN 0.0
                ELSE 100.0 * (date_part('epoch', $period_end) - date_part('epoch', from_day) + 86400)
                     / (date_part('epoch', to_day) - date_part('epoch', from_day) + 86400)
           END AS time_progress
    FROM part
)
SELECT region_code, project_key, project_name AS subject, dept_name, project_type,
       CASE WHEN time_progress - done >= $red_pp THEN '红' ELSE '黄' END AS level,
       -- One more decimal where rounding would read as a line itself (29.96 pp behind is yellow, not 30.0).
       round(done, CASE WHEN round(time_progress - done, 1) <> $yellow_pp AND round(time_progress - done, 1) <> $red_pp THEN 1 WHEN round(time_progress - done, 2) <> $yellow_pp AND round(time_progress - done, 2) <> $red_pp THEN 2 WHEN round(time_progress - done, 3) <> $yellow_pp AND round(time_progress - done, 3) <> $red_pp THEN 3 ELSE 4 END) AS value, round(time_progress, 1) AS expected,
       round(time_progress - done, CASE WHEN round(time_progress - done, 1) <> $yellow_pp AND round(time_progress - done, 1) <> $red_pp THEN 1 WHEN round(time_progress - done, 2) <> $yellow_pp AND round(time_progress - done, 2) <> $red_pp THEN 2 WHEN round(time_progress - done, 3) <> $yellow_pp AND round(time_progress - done, 3) <> $red_pp THEN 3 ELSE 4 END) AS difference,
       annual_plan, ytd_completed, plan_start, plan_end,
       CASE WHEN NOT in_part THEN ''
            ELSE '（按计划工期' || coalesce(CAST(plan_start AS VARCHAR), '') || '至' || coalesce(CAST(plan_end AS VARCHAR), '') || '）' END AS window_zh,
       CASE WHEN NOT in_part THEN ''
            ELSE ' (planned ' || coalesce(CAST(plan_start AS VARCHAR), '') || ' to ' || coalesce(CAST(plan_end AS VARCHAR), '') || ')' END AS window_en
FROM d
WHERE time_progress - done >= $yellow_pp
