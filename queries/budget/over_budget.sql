-- id: over_budget
-- title: 超预算支出 | Spending above the adjusted budget
-- category: 流量
-- datasets: budget_execution
-- severity: level
-- key: agency_code, func_code, dept_econ_code, project_code
-- message: {subject}{dept_econ_name}累计支出{value}元，超过调整后预算{expected}元 | {subject} spent {value} on {dept_econ_name}, above its adjusted budget of {expected}
-- description: A budget line whose year-to-date spending exceeds its adjusted budget. Red for the
--   three public expenses (三公经费: 因公出国(境) 30212, 公务接待 30217, 公务用车运行维护 30231,
--   公务用车购置 31013), orange otherwise.
SELECT agency_code || '|' || func_code || '|' || coalesce(dept_econ_code, '') || '|' || coalesce(project_code, '') AS alert_key,
       agency_name AS subject,
       agency_code, dept_name, func_code, dept_econ_code,
       coalesce(dept_econ_name, dept_econ_code, '') AS dept_econ_name,
       project_code,
       CASE WHEN dept_econ_code IN ('30212', '30217', '30231', '31013') THEN '红' ELSE '橙' END AS level,
       ytd_amount AS value,
       adjusted_budget AS expected,
       ytd_amount - adjusted_budget AS difference
FROM budget_execution
WHERE period = $period AND is_detail AND adjusted_budget > 0 AND ytd_amount > adjusted_budget
