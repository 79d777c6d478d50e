-- id: function_lag
-- title: 重点领域支出进度滞后 | Key-area spending behind time progress
-- category: 流速
-- focus: structure
-- budgets: general
-- stake: adjusted_budget
-- datasets: budget_execution
-- cadence: month
-- finding: state
-- basis: ytd
-- severity: level
-- params: functions = '205|206|208|210|213', yellow_pp = 10, red_pp = 20
-- key: region_code, func_class
-- message: {subject}{func_zh}支出累计{ytd_amount}，为调整预算{adjusted_budget}的{value}%，序时进度{expected}%，落后{difference}个百分点 | {subject}, functional class {func_class}: {ytd_amount} spent, {value}% of the adjusted budget of {adjusted_budget}, against time progress {expected}%: {difference} pp behind
-- description: The general budget's year-to-date spending in each key area (支出功能分类 类:
--   教育 205, 科学技术 206, 社会保障和就业 208, 卫生健康 210, 农林水 213 by default; `functions`
--   lists the 类 codes, `|` between them) over its adjusted budget, per region, against the
--   share of the year gone (month / 12): where the money the congress set for a policy area is
--   not reaching it. Detail rows only; rows of the other three budgets are left out (a row that
--   names no budget kind counts as the general budget's). Reversals (冲销) lower the spending.
WITH area AS (
    SELECT region_code,
           substr(func_code, 1, 3) AS func_class,
           max(region_name) AS region_name,
           sum(ytd_amount) AS ytd_amount,
           sum(adjusted_budget) AS adjusted_budget
    FROM budget_execution
    WHERE period = $period AND is_detail
      AND (budget_kind IS NULL OR budget_kind LIKE '%一般公共%')
      AND strpos('|' || $functions || '|', '|' || substr(func_code, 1, 3) || '|') > 0
    GROUP BY region_code, substr(func_code, 1, 3)
    HAVING sum(adjusted_budget) > 0
), gap AS (
    SELECT *,
           100.0 * CAST(ytd_amount AS DOUBLE) / CAST(adjusted_budget AS DOUBLE) AS execution,
           100.0 * CAST($month AS DOUBLE) / 12.0 AS time_progress
    FROM area
)
SELECT region_code,
       func_class,
       coalesce(region_name, region_code) AS subject,
       CASE func_class
           WHEN '201' THEN '一般公共服务' WHEN '204' THEN '公共安全' WHEN '205' THEN '教育'
           WHEN '206' THEN '科学技术' WHEN '207' THEN '文化旅游体育与传媒'
           WHEN '208' THEN '社会保障和就业' WHEN '210' THEN '卫生健康' WHEN '211' THEN '节能环保'
           WHEN '212' THEN '城乡社区' WHEN '213' THEN '农林水' WHEN '214' THEN '交通运输'
           WHEN '221' THEN '住房保障' WHEN '224' THEN '灾害防治及应急管理'
           ELSE func_class
       END AS func_zh,
       CASE WHEN time_progress - execution >= $red_pp THEN '红' ELSE '黄' END AS level,
       -- One more decimal where rounding would read as a line itself (19.96 pp behind is yellow, not 20.0).
       round(execution, CASE WHEN round(time_progress - execution, 1) <> $yellow_pp AND round(time_progress - execution, 1) <> $red_pp THEN 1 WHEN round(time_progress - execution, 2) <> $yellow_pp AND round(time_progress - execution, 2) <> $red_pp THEN 2 WHEN round(time_progress - execution, 3) <> $yellow_pp AND round(time_progress - execution, 3) <> $red_pp THEN 3 ELSE 4 END) AS value,
       round(time_progress, 1) AS expected,
       round(time_progress - execution, CASE WHEN round(time_progress - execution, 1) <> $yellow_pp AND round(time_progress - execution, 1) <> $red_pp THEN 1 WHEN round(time_progress - execution, 2) <> $yellow_pp AND round(time_progress - execution, 2) <> $red_pp THEN 2 WHEN round(time_progress - execution, 3) <> $yellow_pp AND round(time_progress - execution, 3) <> $red_pp THEN 3 ELSE 4 END) AS difference,
       ytd_amount,
       adjusted_budget
FROM gap
WHERE time_progress - execution >= $yellow_pp
