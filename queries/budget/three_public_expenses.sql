-- id: three_public_expenses
-- title: 三公经费增长 | Growth of the three public expenses
-- category: 合规
-- focus: department
-- budgets: general
-- stake: ytd_amount
-- datasets: budget_execution
-- cadence: month
-- finding: state
-- basis: ytd
-- severity: 黄
-- params: max_growth_pct = 0
-- key: region_code, agency_code, dept_econ_code
-- message: {subject}{dept_econ_name}累计{ytd_amount}，比上年同期{prior_ytd_amount}{change_zh} | {subject}: {dept_econ_name} {ytd_amount}, {change_en} on last year's {prior_ytd_amount}
-- description: 三公经费 (因公出国(境) 30212, 公务接待 30217, 公务用车运行维护 30231, 公务用车购置
--   31013) are to fall year on year: growth of the year-to-date amount above max_growth_pct is
--   flagged, per region and unit.
WITH t AS (
    SELECT region_code, agency_code, dept_econ_code,
           max(agency_name) AS agency_name, max(dept_name) AS dept_name,
           max(coalesce(dept_econ_name, dept_econ_code)) AS dept_econ_name,
           sum(ytd_amount) AS ytd_amount,
           sum(prior_ytd_amount) AS prior_ytd_amount
    FROM budget_execution
    WHERE period = $period AND is_detail AND dept_econ_code IN ('30212', '30217', '30231', '31013')
    GROUP BY region_code, agency_code, dept_econ_code
), g AS (
    -- From nothing last year (0 → 5万) is growth too, with no percentage to give.
    SELECT *,
           CASE WHEN prior_ytd_amount > 0
                THEN 100.0 * CAST(ytd_amount - prior_ytd_amount AS DOUBLE) / CAST(prior_ytd_amount AS DOUBLE) END AS growth
    FROM t WHERE prior_ytd_amount > 0 OR (prior_ytd_amount = 0 AND ytd_amount > 0)
), shown AS (
    -- One more decimal where rounding would read as the threshold itself (100.01 against 100
    -- reads 增长0.01%, never 增长0.0%).
    SELECT *, round(growth, digits) AS shown_growth
    FROM (SELECT *, CASE WHEN round(growth, 1) <> $max_growth_pct THEN 1 WHEN round(growth, 2) <> $max_growth_pct THEN 2 WHEN round(growth, 3) <> $max_growth_pct THEN 3 ELSE 4 END AS digits FROM g) gd
)
SELECT region_code, agency_code, dept_econ_code,
       coalesce(agency_name, agency_code) AS subject, dept_name, dept_econ_name,
       shown_growth AS value,
       $max_growth_pct AS expected,
       round(growth - $max_growth_pct, digits) AS difference,
       CASE WHEN growth IS NULL THEN '由零新增' ELSE '增长' || CAST(shown_growth AS VARCHAR) || '%' END AS change_zh,
       CASE WHEN growth IS NULL THEN 'new (none last year)' ELSE 'up ' || CAST(shown_growth AS VARCHAR) || '%' END AS change_en,
       ytd_amount, prior_ytd_amount
FROM shown
WHERE growth IS NULL OR growth > $max_growth_pct
