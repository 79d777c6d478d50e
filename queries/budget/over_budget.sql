-- id: over_budget
-- title: 超预算或无预算支出 | Spending above the budget, or with none
-- category: 流量
-- focus: department
-- budgets: general
-- stake: difference
-- datasets: budget_execution
-- cadence: month
-- finding: state
-- basis: ytd
-- severity: level
-- key: region_code, budget_kind, agency_code, func_code, gov_econ_code, dept_econ_code, project_code
-- message: {subject}{dept_econ_name}累计支出{ytd_amount}，{problem}{difference}（调整后预算{expected}） | {subject} spent {ytd_amount} on {dept_econ_name}, {difference} {problem_en} (adjusted budget {expected})
-- description: A budget line whose year-to-date spending exceeds its adjusted budget (the initial
--   one where no adjustment is reported). A line that spends with no budget at all (zero or none)
--   is the clearest case, 《预算法》 §13: no spending outside the budget: red. Red also for the
--   three public expenses (三公经费: 因公出国(境) 30212, 公务接待 30217, 公务用车运行维护 30231,
--   公务用车购置 31013); orange otherwise. A line is region × budget kind × unit × function code ×
--   both economic codes × project, so lines differing only in budget kind or economic code are
--   findings of their own. Net reversals (冲销) that leave a line at or below zero never fire.
--   A project budgeted as a whole (its budget on a row of its own, its spending booked under
--   economic codes with no budget of their own) is judged as one: its spending against its
--   budget, never each economic code as 无预算列支.
WITH over AS (
    -- A line whose sum is over its budget has a row over its own budget: only the units with such
    -- a row are summed (a few, not the month's lines). A unit is its code, or its name where the
    -- extract gives no code.
    SELECT DISTINCT coalesce(agency_code, agency_name) AS unit
    FROM budget_execution
    WHERE period = $period AND is_detail AND ytd_amount > 0
      AND ytd_amount > coalesce(adjusted_budget, initial_budget, 0)
), line AS (
    SELECT b.region_code, b.budget_kind, over.unit AS agency_code, b.func_code, b.gov_econ_code, b.dept_econ_code,
           b.project_code,
           max(b.agency_name) AS agency_name, max(b.dept_name) AS dept_name, max(b.project_name) AS project_name,
           max(coalesce(b.dept_econ_name, b.gov_econ_name)) AS dept_econ_name,
           sum(b.ytd_amount) AS ytd_amount,
           sum(coalesce(b.adjusted_budget, b.initial_budget, 0)) AS budget
    FROM over JOIN budget_execution b ON coalesce(b.agency_code, b.agency_name) = over.unit
    WHERE b.period = $period AND b.is_detail
    GROUP BY b.region_code, b.budget_kind, over.unit, b.func_code, b.gov_econ_code, b.dept_econ_code, b.project_code
), project AS (
    -- A project whose budget is held at project level: it has budget somewhere and spends on lines
    -- with none of their own.
    SELECT region_code, budget_kind, agency_code, project_code,
           max(agency_name) AS agency_name, max(dept_name) AS dept_name, max(project_name) AS project_name,
           sum(ytd_amount) AS ytd_amount, sum(budget) AS budget
    FROM line
    WHERE project_code IS NOT NULL
    GROUP BY region_code, budget_kind, agency_code, project_code
    HAVING sum(budget) > 0 AND max(CASE WHEN budget <= 0 AND ytd_amount > 0 THEN 1 ELSE 0 END) = 1
), judged AS (
    SELECT l.region_code, l.budget_kind, l.agency_code, l.func_code, l.gov_econ_code, l.dept_econ_code, l.project_code,
           l.agency_name, l.dept_name, l.dept_econ_name, l.ytd_amount, l.budget
    FROM line l
    LEFT JOIN project p
      ON (p.region_code IS NOT DISTINCT FROM l.region_code) AND (p.budget_kind IS NOT DISTINCT FROM l.budget_kind)
     AND p.agency_code = l.agency_code AND p.project_code = l.project_code
    WHERE l.ytd_amount > 0 AND l.ytd_amount > l.budget
      AND NOT (l.budget <= 0 AND p.project_code IS NOT NULL)
    UNION ALL
    SELECT region_code, budget_kind, agency_code, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), project_code,
           agency_name, dept_name, '项目' || coalesce(project_name, project_code) || '（按项目预算合计）', ytd_amount, budget
    FROM project
    WHERE ytd_amount > budget
)
SELECT region_code, budget_kind, agency_code, func_code, gov_econ_code, dept_econ_code, project_code,
       coalesce(agency_name, agency_code) AS subject,
       dept_name,
       coalesce(dept_econ_name, dept_econ_code, gov_econ_code, '') AS dept_econ_name,
       CASE WHEN budget <= 0 OR dept_econ_code IN ('30212', '30217', '30231', '31013') THEN '红' ELSE '橙' END AS level,
       CASE WHEN budget <= 0 THEN '无预算列支' ELSE '超过调整后预算' END AS problem,
       CASE WHEN budget <= 0 THEN 'spent with no budget' ELSE 'above its adjusted budget' END AS problem_en,
       ytd_amount AS value,
       budget AS expected,
       ytd_amount - budget AS difference,
       ytd_amount,
       budget AS adjusted_budget
FROM judged
