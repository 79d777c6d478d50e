-- id: indicator_deviation
-- title: 经济指标偏离目标 | Indicator below its annual target
-- category: 流速
-- datasets: indicators, targets
-- severity: level
-- params: yellow_pp = 0.5, red_pp = 1
-- key: indicator_code
-- message: {subject}累计增长{value}%，年度目标{expected}%，低{difference}个百分点 | {subject}: year-to-date growth {value}% against a {expected}% target, {difference} pp short
-- description: Year-to-date growth (累计同比) against the year's growth target, matched by
--   indicator code or, failing that, by name.
WITH t AS (
    SELECT indicator_code, indicator_name, CAST(target_value AS DOUBLE) AS target
    FROM targets
    WHERE year = $year AND coalesce(target_kind, 'growth') = 'growth'
), i AS (
    SELECT indicator_code, indicator_name, region_name, CAST(ytd_yoy AS DOUBLE) AS growth
    FROM indicators
    WHERE period = $period AND ytd_yoy IS NOT NULL
), m AS (
    SELECT coalesce(i.indicator_code, i.indicator_name) AS ikey, i.indicator_name, i.region_name, i.growth, t.target
    FROM i JOIN t ON (i.indicator_code = t.indicator_code OR i.indicator_name = t.indicator_name)
)
SELECT ikey AS alert_key, indicator_name AS subject,
       CASE WHEN target - growth >= $red_pp THEN '红' ELSE '黄' END AS level,
       round(growth, 2) AS value, round(target, 2) AS expected, round(target - growth, 2) AS difference,
       region_name
FROM m
WHERE target - growth >= $yellow_pp
