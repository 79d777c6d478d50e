-- id: indicator_break
-- title: 经济指标异常波动 | Indicator far off its own history
-- category: 其他
-- focus: policy
-- budgets: none
-- datasets: indicators
-- cadence: month
-- finding: state
-- basis: balance
-- severity: 黄
-- params: max_z = 3.5, history_months = 36, min_history = 12
-- key: region_code, indicator_key
-- message: {subject}同比{value}%，历史中位数{expected}%，稳健Z值{z} | {subject}: year-on-year {value}% against a historical median of {expected}% (robust z {z})
-- description: Robust z-score of this month's year-on-year change against the same indicator's
--   previous history_months in the same region: (x − median) / (1.4826 × MAD). Seasonality is
--   removed by using year-on-year changes. Indices published as 上年同期=100 (unit, or a value
--   near 100 under such a unit) become growth rates (99.9 → −0.1 %). Two regions' series of
--   one indicator are two series, never pooled.
WITH obs AS (
    SELECT coalesce(region_code, '') AS region_code,
           coalesce(indicator_code, indicator_name) AS indicator_key,
           indicator_code, indicator_name, region_name, period,
           -- A growth rate as published, or an index (上年同期=100: a value near 100) made one.
           CASE WHEN yoy IS NOT NULL AND (coalesce(unit, '') NOT LIKE '%=100%' OR abs(yoy) < 50)
                     THEN CAST(yoy AS DOUBLE)
                WHEN coalesce(unit, '') LIKE '%=100%' THEN CAST(coalesce(yoy, value) AS DOUBLE) - 100.0
           END AS growth
    FROM indicators
    WHERE period <= $period
), cur AS (
    SELECT region_code, indicator_key, max(indicator_code) AS indicator_code, max(indicator_name) AS indicator_name,
           max(region_name) AS region_name,
           max(growth) AS x
    FROM obs WHERE period = $period AND growth IS NOT NULL
    GROUP BY region_code, indicator_key
), hist AS (
    SELECT region_code, indicator_key, growth AS y
    FROM obs
    WHERE growth IS NOT NULL AND period < $period
      AND (CAST(substr(period, 1, 4) AS BIGINT) * 12 + CAST(substr(period, 6, 2) AS BIGINT))
          >= $year * 12 + $month - $history_months
), med AS (
    SELECT region_code, indicator_key, median(y) AS m, count(*) AS n FROM hist GROUP BY region_code, indicator_key
), mad AS (
    SELECT hist.region_code, hist.indicator_key, median(abs(hist.y - med.m)) AS mad
    FROM hist JOIN med ON hist.region_code = med.region_code AND hist.indicator_key = med.indicator_key
    GROUP BY hist.region_code, hist.indicator_key
), z AS (
    SELECT cur.region_code, cur.indicator_key, cur.indicator_code, cur.indicator_name, cur.region_name, cur.x, med.m, med.n, mad.mad,
           (cur.x - med.m) / (1.4826 * mad.mad) AS z
    FROM cur
    JOIN med ON cur.region_code = med.region_code AND cur.indicator_key = med.indicator_key
    JOIN mad ON cur.region_code = mad.region_code AND cur.indicator_key = mad.indicator_key
    WHERE med.n >= $min_history AND mad.mad > 0
)
SELECT region_code, indicator_key, indicator_code, indicator_name,
       coalesce(region_name, '') || indicator_name AS subject,
       round(x, 2) AS value, round(m, 2) AS expected, round(x - m, 2) AS difference,
       -- One more decimal where rounding would read as the line itself (3.5006 reads 3.501).
       round(z, CASE WHEN abs(round(z, 1)) <> $max_z THEN 1 WHEN abs(round(z, 2)) <> $max_z THEN 2
                     WHEN abs(round(z, 3)) <> $max_z THEN 3 ELSE 4 END) AS z,
       n AS history_points, round(mad, 3) AS mad
FROM z
WHERE abs(z) > $max_z
