-- id: three_public_expenses
-- title: 三公经费增长 | Growth of the three public expenses
-- category: 合规
-- datasets: budget_execution
-- severity: 黄
-- params: max_growth_pct = 0
-- key: agency_code, dept_econ_code
-- message: {subject}{dept_econ_name}累计{ytd_amount}元，比上年同期增长{value}% | {subject}: {dept_econ_name} up {value}% on last year ({ytd_amount})
-- description: 三公经费 (因公出国(境) 30212, 公务接待 30217, 公务用车运行维护 30231, 公务用车购置
--   31013) are to fall year on year: any growth of the year-to-date amount is flagged.
WITH t AS (
    SELECT agency_code, dept_econ_code,
           max(agency_name) AS agency_name, max(dept_name) AS dept_name,
           max(coalesce(dept_econ_name, dept_econ_code)) AS dept_econ_name,
           sum(ytd_amount) AS ytd_amount,
           sum(prior_ytd_amount) AS prior_ytd_amount,
           CAST(sum(ytd_amount) AS DOUBLE) AS ytd,
           CAST(sum(prior_ytd_amount) AS DOUBLE) AS prior
    FROM budget_execution
    WHERE period = $period AND is_detail AND dept_econ_code IN ('30212', '30217', '30231', '31013')
    GROUP BY agency_code, dept_econ_code
)
SELECT agency_code || '|' || dept_econ_code AS alert_key,
       agency_name AS subject, agency_code, dept_name, dept_econ_code, dept_econ_name,
       round(100.0 * (ytd - prior) / prior, 1) AS value,
       $max_growth_pct AS expected,
       round(100.0 * (ytd - prior) / prior - $max_growth_pct, 1) AS difference,
       ytd_amount, prior_ytd_amount
FROM t
WHERE prior > 0 AND 100.0 * (ytd - prior) / prior > $max_growth_pct
