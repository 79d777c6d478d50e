-- id: project_progress
-- title: 项目进度滞后 | Project behind its investment plan
-- category: 流速
-- datasets: projects
-- cadence: month
-- finding: state
-- basis: ytd
-- severity: level
-- params: yellow_pp = 15, red_pp = 30
-- key: region_code, project_key
-- message: {subject}累计完成投资{ytd_completed}，为年度计划{annual_plan}的{value}%，序时进度{expected}% | {subject}: {ytd_completed} invested, {value}% of the annual plan of {annual_plan}, against time progress {expected}%
-- description: 年初问计划、年中问进度、年底问结果: completed investment over the annual plan
--   against month / 12, per region and project (by code, else name).
WITH p AS (
    SELECT coalesce(region_code, '') AS region_code, coalesce(project_code, project_name) AS project_key,
           max(project_name) AS project_name, max(dept_name) AS dept_name, max(project_type) AS project_type,
           sum(annual_plan) AS annual_plan, sum(ytd_completed) AS ytd_completed
    FROM projects
    WHERE period = $period
    GROUP BY coalesce(region_code, ''), coalesce(project_code, project_name)
), d AS (
    SELECT *, 100.0 * CAST(ytd_completed AS DOUBLE) / CAST(annual_plan AS DOUBLE) AS done,
           100.0 * CAST($month AS DOUBLE) / 12.0 AS time_progress
    FROM p WHERE annual_plan > 0
)
SELECT region_code, project_key, project_name AS subject, dept_name, project_type,
       CASE WHEN time_progress - done >= $red_pp THEN '红' ELSE '黄' END AS level,
       round(done, 1) AS value, round(time_progress, 1) AS expected, round(time_progress - done, 1) AS difference,
       annual_plan, ytd_completed
FROM d
WHERE time_progress - done >= $yellow_pp
