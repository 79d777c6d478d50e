-- id: indicator_deviation
-- title: 经济指标偏离目标 | Indicator off its annual target
-- category: 流速
-- focus: policy
-- budgets: none
-- datasets: indicators, targets
-- cadence: month
-- finding: state
-- basis: ytd
-- severity: level
-- params: yellow_pp = 0.5, red_pp = 1, about_pp = 0
-- key: region_code, indicator_key
-- message: {subject}{measure_zh}{value}{unit_zh}，年度目标{target_text}（{direction_zh}），偏离{difference}{gap_zh} | {subject}: {measure_en} {value}{unit_zh} against a target of {target_text} ({direction}), {difference}{gap_en} off
-- description: Each indicator against the year's target of the same region, matched by indicator
--   code or, failing that, by name. A target is a growth (增长率: judged on year-to-date growth,
--   累计同比) or a level (调查失业率 5.5 %, 赤字率, 能耗: judged on the indicator's level, its
--   year-to-date value or else this month's): from its wording (增长 / 增速 / 涨 → growth), else the
--   targets table's `target_kind`, else the indicator's name (…率, 能耗, 比重, 占比 → level), else
--   growth. A target has a direction, from the table's own `direction` / `tolerance` when given,
--   else from its wording: 以上 / 不低于 / 至少 → floor; 以内 / 以下 / 不超过 / 不高于 / 控制在 →
--   ceiling; 左右 → a band: a miss on either side beyond the tolerance (about_pp, 0 by default
--   since yellow_pp already reads "about") is a deviation (2025's CPI target "2%左右" against
--   −0.1 %). Without any of these, the side that matters is the indicator's: a ceiling where less
--   is better (调查失业率, 赤字率, CPI, 能耗), else a floor. The miss is how far the actual lies past
--   the accepted side, beyond the tolerance: yellow from yellow_pp, red from red_pp (percentage
--   points for rates, the indicator's unit for other levels). Indices published as 上年同期=100
--   become growth rates. Two regions each meet their own target.
WITH t AS (
    SELECT coalesce(region_code, '') AS region_code, indicator_code, indicator_name,
           CAST(target_value AS DOUBLE) AS target,
           coalesce(target_text, CAST(target_value AS VARCHAR)) AS target_text,
           CASE WHEN target_text LIKE '%增长%' OR target_text LIKE '%增速%' OR target_text LIKE '%涨%' THEN 'growth'
                WHEN lower(trim(target_kind)) IN ('growth', '增长', '增速', '增长率') THEN 'growth'
                WHEN lower(trim(target_kind)) IN ('level', '水平', '绝对值', '总量') THEN 'level'
                WHEN indicator_name LIKE '%率%' OR indicator_name LIKE '%能耗%' OR indicator_name LIKE '%比重%'
                     OR indicator_name LIKE '%占比%' THEN 'level'
                ELSE 'growth' END AS kind,
           coalesce(
               CASE lower(trim(direction)) WHEN 'floor' THEN 'floor' WHEN '下限' THEN 'floor'
                    WHEN 'ceiling' THEN 'ceiling' WHEN '上限' THEN 'ceiling'
                    WHEN 'band' THEN 'band' WHEN '区间' THEN 'band' END,
               CASE WHEN target_text LIKE '%以上%' OR target_text LIKE '%不低于%' OR target_text LIKE '%至少%' THEN 'floor'
                    WHEN target_text LIKE '%以内%' OR target_text LIKE '%以下%' OR target_text LIKE '%不超过%'
                         OR target_text LIKE '%不高于%' OR target_text LIKE '%控制在%' THEN 'ceiling'
                    WHEN target_text LIKE '%左右%' THEN 'band'
                    WHEN indicator_name LIKE '%失业率%' OR indicator_name LIKE '%赤字率%' OR indicator_name LIKE '%CPI%'
                         OR indicator_name LIKE '%居民消费价格%' OR indicator_name LIKE '%能耗%' THEN 'ceiling'
                    ELSE 'floor' END) AS direction,
           CAST(tolerance AS DOUBLE) AS tolerance
    FROM targets
    WHERE year = $year
), i AS (
    SELECT coalesce(region_code, '') AS region_code, indicator_code, indicator_name, region_name, unit,
           -- A growth rate as published, or an index (上年同期=100: a value near 100) made one.
           CASE WHEN ytd_yoy IS NOT NULL AND (coalesce(unit, '') NOT LIKE '%=100%' OR abs(ytd_yoy) < 50)
                     THEN CAST(ytd_yoy AS DOUBLE)
                WHEN coalesce(unit, '') LIKE '%=100%' THEN CAST(coalesce(ytd_yoy, ytd_value) AS DOUBLE) - 100.0
           END AS growth,
           -- A level as published: the year to date, else this month's (an index is no level).
           CASE WHEN coalesce(unit, '') NOT LIKE '%=100%' THEN CAST(coalesce(ytd_value, value) AS DOUBLE) END AS level_value
    FROM indicators
    WHERE period = $period
), m AS (
    -- A code match beats a name match; one target per region and indicator.
    SELECT i.region_code, coalesce(i.indicator_code, i.indicator_name) AS indicator_key,
           i.indicator_code, i.indicator_name, i.region_name, i.unit, t.kind,
           CASE t.kind WHEN 'level' THEN i.level_value ELSE i.growth END AS actual,
           t.target, t.target_text, t.direction, t.tolerance,
           row_number() OVER (PARTITION BY i.region_code, coalesce(i.indicator_code, i.indicator_name)
                              ORDER BY CASE WHEN i.indicator_code = t.indicator_code THEN 0 ELSE 1 END) AS rn
    FROM i JOIN t ON i.region_code = t.region_code
     AND (i.indicator_code = t.indicator_code OR i.indicator_name = t.indicator_name)
), d AS (
    SELECT *,
           coalesce(tolerance, CASE WHEN target_text LIKE '%左右%' THEN $about_pp ELSE 0 END) AS tol,
           CASE direction WHEN 'ceiling' THEN actual - target
                          WHEN 'band' THEN abs(actual - target)
                          ELSE target - actual END AS off
    FROM m WHERE rn = 1 AND actual IS NOT NULL
)
SELECT region_code, indicator_key, indicator_code, indicator_name,
       coalesce(region_name, '') || coalesce(indicator_name, indicator_key) AS subject,
       CASE WHEN off - tol >= $red_pp THEN '红' ELSE '黄' END AS level,
       round(actual, 2) AS value, round(target, 2) AS expected, round(off - tol, 2) AS difference,
       target_text, direction, kind,
       CASE direction WHEN 'ceiling' THEN '上限' WHEN 'band' THEN '区间' ELSE '下限' END AS direction_zh,
       CASE kind WHEN 'level' THEN '为' ELSE '累计增长' END AS measure_zh,
       CASE kind WHEN 'level' THEN 'at' ELSE 'year-to-date growth' END AS measure_en,
       CASE WHEN kind = 'growth' THEN '%' ELSE coalesce(unit, '') END AS unit_zh,
       CASE WHEN kind = 'growth' OR coalesce(unit, '') = '%' THEN '个百分点' ELSE coalesce(unit, '') END AS gap_zh,
       CASE WHEN kind = 'growth' OR coalesce(unit, '') = '%' THEN ' pp' ELSE ' ' || coalesce(unit, '') END AS gap_en,
       tol AS tolerance
FROM d
WHERE off - tol >= $yellow_pp
