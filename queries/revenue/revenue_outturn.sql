-- id: revenue_outturn
-- title: 收入进度滞后 | Revenue behind time progress
-- category: 流速
-- focus: revenue
-- budgets: general
-- datasets: revenue
-- cadence: month
-- finding: state
-- basis: ytd
-- severity: level
-- params: yellow_pp = 10, red_pp = 20
-- key: region_code, budget_kind
-- message: {subject}累计收入{collected}，完成预算{budget}的{value}%，序时进度{expected}%，落后{difference}个百分点 | {subject}: revenue {collected}, {value}% of the budget of {budget}, against time progress {expected}%: {difference} pp behind
-- description: Year-to-date revenue over the adjusted budget (the initial one where none is
--   reported), per region and budget kind, against month / 12.
WITH r AS (
    SELECT coalesce(region_code, '') AS region_code, budget_kind, max(region_name) AS region_name,
           sum(ytd_amount) AS collected,
           sum(coalesce(adjusted_budget, initial_budget)) AS budget
    FROM revenue
    WHERE period = $period AND is_detail
    GROUP BY coalesce(region_code, ''), budget_kind
), g AS (
    SELECT *, 100.0 * CAST(collected AS DOUBLE) / CAST(budget AS DOUBLE) AS outturn,
           100.0 * CAST($month AS DOUBLE) / 12.0 AS time_progress
    FROM r WHERE budget > 0
)
SELECT region_code, budget_kind,
       coalesce(region_name, region_code) || budget_kind AS subject,
       CASE WHEN time_progress - outturn >= $red_pp THEN '红' ELSE '黄' END AS level,
       -- One more decimal where rounding would read as a line itself (19.96 pp behind is yellow, not 20.0).
       round(outturn, CASE WHEN round(time_progress - outturn, 1) <> $yellow_pp AND round(time_progress - outturn, 1) <> $red_pp THEN 1 WHEN round(time_progress - outturn, 2) <> $yellow_pp AND round(time_progress - outturn, 2) <> $red_pp THEN 2 WHEN round(time_progress - outturn, 3) <> $yellow_pp AND round(time_progress - outturn, 3) <> $red_pp THEN 3 ELSE 4 END) AS value,
       round(time_progress, 1) AS expected,
       round(time_progress - outturn, CASE WHEN round(time_progress - outturn, 1) <> $yellow_pp AND round(time_progress - outturn, 1) <> $red_pp THEN 1 WHEN round(time_progress - outturn, 2) <> $yellow_pp AND round(time_progress - outturn, 2) <> $red_pp THEN 2 WHEN round(time_progress - outturn, 3) <> $yellow_pp AND round(time_progress - outturn, 3) <> $red_pp THEN 3 ELSE 4 END) AS difference,
       collected, budget
FROM g
WHERE time_progress - outturn >= $yellow_pp
