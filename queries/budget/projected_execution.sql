-- id: projected_execution
-- title: 年终执行预测偏低 | Year-end execution projected low
-- category: 流速
-- focus: structure
-- budgets: general
-- datasets: budget_execution
-- cadence: month
-- finding: state
-- basis: ytd
-- months: 3-11
-- severity: level
-- params: yellow_pct = 85, red_pct = 70, coverage = 90
-- key: region_code, agency_code, year
-- message: 按目前进度，{subject}{year}年末执行率预计为{value}%（区间{low}%–{high}%，依据{basis}季节规律），低于{expected}% | At this pace {subject} will end {year} at {value}% of its budget (interval {low}–{high}%, from {basis_en} seasonal profile), below {expected}%
-- description: Months ahead, where a budget unit's year will end: its year-to-date spending
--   divided by the share of the year's spending its earlier years (up to five) had reached by
--   this month (the seasonal profile), over its adjusted budget. A unit without a complete
--   earlier year takes its department's profile, then its region's. The interval is calibrated
--   on held-back years: each unit-year of the region in the ten years before (with a complete
--   earlier year) is projected as the method would have projected it then, from its own earlier
--   years, and the band's half-width is the error `coverage` % of them stayed within (the
--   conformal rank ⌈(n + 1) × coverage / 100⌉ of the absolute errors, the largest when there are
--   too few); without such years there is no interval. Fires from March to November on units
--   whose projection is below yellow_pct (red below red_pct). The year is in the key: next year's
--   pace is a new finding. purse's cockpit, drill-down and report compute the same projection
--   (foresight::projection), for departments, budget kinds and special funds too.
WITH base AS (
    SELECT region_code,
           coalesce(agency_code, agency_name, '') AS agency,
           max(coalesce(dept_name, dept_code, '')) AS dept,
           CAST(substr(period, 1, 4) AS BIGINT) AS fy,
           CAST(substr(period, 6, 2) AS BIGINT) AS mo,
           sum(adjusted_budget) AS budget,
           sum(ytd_amount) AS ytd
    FROM budget_execution
    WHERE is_detail
      AND (period = $period
           OR (substr(period, 6, 2) IN (substr($period, 6, 2), '12')
               AND period >= CAST($year - 15 AS VARCHAR) AND period < CAST($year AS VARCHAR)))
    GROUP BY region_code, coalesce(agency_code, agency_name, ''),
             CAST(substr(period, 1, 4) AS BIGINT), CAST(substr(period, 6, 2) AS BIGINT)
), dbase AS (
    -- A department by its name (extracts name departments more often than they code them).
    SELECT region_code, dept, fy, mo, sum(budget) AS budget, sum(ytd) AS ytd
    FROM base GROUP BY region_code, dept, fy, mo
), rbase AS (
    SELECT region_code, fy, mo, sum(budget) AS budget, sum(ytd) AS ytd
    FROM base GROUP BY region_code, fy, mo
), ayr AS (
    -- Each complete earlier year of a unit: the share of its spending reached by this month,
    -- and how the year ended.
    SELECT a.region_code, a.agency, a.fy,
           CAST(a.ytd AS DOUBLE) / CAST(b.ytd AS DOUBLE) AS share,
           CAST(a.ytd AS DOUBLE) AS ytd_m,
           CAST(a.budget AS DOUBLE) AS budget_m,
           100.0 * CAST(b.ytd AS DOUBLE) / CAST(b.budget AS DOUBLE) AS final_rate
    FROM base a
    JOIN base b ON a.region_code = b.region_code AND a.agency = b.agency AND a.fy = b.fy
    WHERE a.fy < $year AND a.mo = $month AND b.mo = 12 AND b.ytd > 0 AND b.budget > 0
), dyr AS (
    SELECT a.region_code, a.dept, CAST(a.ytd AS DOUBLE) / CAST(b.ytd AS DOUBLE) AS share
    FROM dbase a
    JOIN dbase b ON a.region_code = b.region_code AND a.dept = b.dept AND a.fy = b.fy
    WHERE a.fy < $year AND a.fy >= $year - 5 AND a.mo = $month AND b.mo = 12 AND b.ytd > 0 AND b.budget > 0
), ryr AS (
    SELECT a.region_code, CAST(a.ytd AS DOUBLE) / CAST(b.ytd AS DOUBLE) AS share
    FROM rbase a
    JOIN rbase b ON a.region_code = b.region_code AND a.fy = b.fy
    WHERE a.fy < $year AND a.fy >= $year - 5 AND a.mo = $month AND b.mo = 12 AND b.ytd > 0 AND b.budget > 0
), aprof AS (
    SELECT region_code, agency, sum(share) AS s, count(*) AS n FROM ayr WHERE fy >= $year - 5 GROUP BY region_code, agency
), dprof AS (
    SELECT region_code, dept, sum(share) AS s, count(*) AS n FROM dyr GROUP BY region_code, dept
), rprof AS (
    SELECT region_code, sum(share) AS s, count(*) AS n FROM ryr GROUP BY region_code
), miss AS (
    -- Held-back years: each unit-year of the ten before projected as the method would have
    -- projected it then (from the mean share of its own earlier years, up to five), against how
    -- it ended.
    SELECT t.region_code,
           abs(t.final_rate - 100.0 * t.ytd_m / (avg(h.share) * t.budget_m)) AS miss
    FROM ayr t
    JOIN ayr h ON h.region_code = t.region_code AND h.agency = t.agency AND h.fy >= t.fy - 5 AND h.fy < t.fy
    WHERE t.fy >= $year - 10 AND t.budget_m > 0
    GROUP BY t.region_code, t.agency, t.fy, t.final_rate, t.ytd_m, t.budget_m
    HAVING avg(h.share) > 0
), ranked AS (
    SELECT region_code, miss,
           row_number() OVER (PARTITION BY region_code ORDER BY miss) AS rk,
           count(*) OVER (PARTITION BY region_code) AS n
    FROM miss
), err AS (
    -- The conformal rank of the region's errors, the largest when there are too few.
    SELECT region_code, max(miss) AS half
    FROM ranked
    WHERE rk = CASE WHEN ceil((n + 1) * $coverage / 100.0) <= n THEN CAST(ceil((n + 1) * $coverage / 100.0) AS BIGINT) ELSE n END
    GROUP BY region_code
), now AS (
    SELECT region_code, agency, dept, budget, ytd FROM base
    WHERE fy = $year AND mo = $month AND budget > 0
), pick AS (
    SELECT n.region_code, n.agency, n.budget, n.ytd,
           CASE WHEN u.n > 0 THEN u.s / u.n WHEN d.n > 0 THEN d.s / d.n ELSE r.s / r.n END AS share,
           CASE WHEN u.n > 0 THEN '本单位' WHEN d.n > 0 THEN '本部门' ELSE '本地区' END AS basis,
           CASE WHEN u.n > 0 THEN 'its own' WHEN d.n > 0 THEN 'its department''s' ELSE 'its region''s' END AS basis_en
    FROM now n
    LEFT JOIN aprof u ON u.region_code = n.region_code AND u.agency = n.agency
    LEFT JOIN dprof d ON d.region_code = n.region_code AND d.dept = n.dept
    LEFT JOIN rprof r ON r.region_code = n.region_code
), proj AS (
    SELECT p.*, e.half,
           100.0 * CAST(p.ytd AS DOUBLE) / (p.share * CAST(p.budget AS DOUBLE)) AS projected
    FROM pick p
    LEFT JOIN err e ON e.region_code = p.region_code
    WHERE p.share > 0
), names AS (
    SELECT region_code, coalesce(agency_code, agency_name, '') AS agency,
           max(agency_name) AS agency_name, max(dept_name) AS dept_name, max(agency_code) AS agency_code
    FROM budget_execution
    WHERE period = $period
    GROUP BY region_code, coalesce(agency_code, agency_name, '')
)
SELECT p.region_code,
       coalesce(n.agency_code, p.agency) AS agency_code,
       $year AS year,
       coalesce(n.agency_name, p.agency) AS subject,
       n.dept_name,
       CASE WHEN p.projected < $red_pct THEN '红' ELSE '黄' END AS level,
       -- One more decimal where rounding would read as a line itself (84.96 is not 85.0).
       round(p.projected, CASE WHEN round(p.projected, 1) <> $yellow_pct AND round(p.projected, 1) <> $red_pct THEN 1 WHEN round(p.projected, 2) <> $yellow_pct AND round(p.projected, 2) <> $red_pct THEN 2 WHEN round(p.projected, 3) <> $yellow_pct AND round(p.projected, 3) <> $red_pct THEN 3 ELSE 4 END) AS value,
       $yellow_pct AS expected,
       round(p.projected - $yellow_pct, CASE WHEN round(p.projected, 1) <> $yellow_pct AND round(p.projected, 1) <> $red_pct THEN 1 WHEN round(p.projected, 2) <> $yellow_pct AND round(p.projected, 2) <> $red_pct THEN 2 WHEN round(p.projected, 3) <> $yellow_pct AND round(p.projected, 3) <> $red_pct THEN 3 ELSE 4 END) AS difference,
       coalesce(CAST(round(p.projected - p.half, 1) AS VARCHAR), '—') AS low,
       coalesce(CAST(round(p.projected + p.half, 1) AS VARCHAR), '—') AS high,
       p.basis,
       p.basis_en,
       round(100.0 * CAST(p.ytd AS DOUBLE) / CAST(p.budget AS DOUBLE), 1) AS rate_now,
       p.ytd AS ytd_amount,
       p.budget AS adjusted_budget
FROM proj p
LEFT JOIN names n ON n.region_code = p.region_code AND n.agency = p.agency
WHERE p.projected < $yellow_pct
