-- id: indicator_break
-- title: 经济指标异常波动 | Indicator far off its own history
-- category: 其他
-- datasets: indicators
-- severity: 黄
-- params: max_z = 3.5, history_months = 36, min_history = 12
-- key: indicator_code
-- message: {subject}同比{value}%，历史中位数{expected}%，稳健Z值{z} | {subject}: year-on-year {value}% against a historical median of {expected}% (robust z {z})
-- description: Robust z-score of this month's year-on-year change against the same indicator's
--   previous history_months: (x − median) / (1.4826 × MAD). Seasonality is removed by using
--   year-on-year changes.
WITH cur AS (
    SELECT coalesce(indicator_code, indicator_name) AS ikey, indicator_name, CAST(yoy AS DOUBLE) AS x
    FROM indicators
    WHERE period = $period AND yoy IS NOT NULL
), hist AS (
    SELECT coalesce(h.indicator_code, h.indicator_name) AS ikey, CAST(h.yoy AS DOUBLE) AS y
    FROM indicators h
    WHERE h.yoy IS NOT NULL AND h.period < $period
      AND (CAST(substr(h.period, 1, 4) AS BIGINT) * 12 + CAST(substr(h.period, 6, 2) AS BIGINT))
          >= $year * 12 + $month - $history_months
), med AS (
    SELECT ikey, median(y) AS m, count(*) AS n FROM hist GROUP BY ikey
), mad AS (
    SELECT hist.ikey, median(abs(hist.y - med.m)) AS mad FROM hist JOIN med ON hist.ikey = med.ikey GROUP BY hist.ikey
), z AS (
    SELECT cur.ikey, cur.indicator_name, cur.x, med.m, med.n, mad.mad,
           (cur.x - med.m) / (1.4826 * mad.mad) AS z
    FROM cur JOIN med ON cur.ikey = med.ikey JOIN mad ON cur.ikey = mad.ikey
    WHERE med.n >= $min_history AND mad.mad > 0
)
SELECT ikey AS alert_key, indicator_name AS subject,
       round(x, 2) AS value, round(m, 2) AS expected, round(x - m, 2) AS difference,
       round(z, 1) AS z, n AS history_points, round(mad, 3) AS mad
FROM z
WHERE abs(z) > $max_z
