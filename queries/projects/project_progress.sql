-- id: project_progress
-- title: 项目进度滞后 | Project behind its investment plan
-- category: 流速
-- datasets: projects
-- severity: level
-- params: yellow_pp = 15, red_pp = 30
-- key: project_code
-- message: {subject}完成年度计划{value}%，序时进度{expected}% | {subject}: {value}% of the annual plan done against time progress {expected}%
-- description: 年初问计划、年中问进度、年底问结果: completed investment over the annual plan
--   against month / 12.
WITH p AS (
    SELECT coalesce(project_code, project_name) AS pkey, project_name, dept_name, project_type,
           annual_plan, ytd_completed,
           100.0 * CAST(ytd_completed AS DOUBLE) / CAST(annual_plan AS DOUBLE) AS done,
           100.0 * CAST($month AS DOUBLE) / 12.0 AS time_progress
    FROM projects
    WHERE period = $period AND annual_plan > 0
)
SELECT pkey AS alert_key, project_name AS subject, dept_name, project_type,
       CASE WHEN time_progress - done >= $red_pp THEN '红' ELSE '黄' END AS level,
       round(done, 1) AS value, round(time_progress, 1) AS expected, round(time_progress - done, 1) AS difference,
       annual_plan, ytd_completed
FROM p
WHERE time_progress - done >= $yellow_pp
