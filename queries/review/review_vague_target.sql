-- id: review_vague_target
-- title: 绩效目标未量化 | Performance target without a quantified indicator
-- category: 合规
-- focus: department
-- budgets: general
-- stake: amount
-- datasets: draft_budget
-- cadence: year
-- finding: state
-- basis: annual
-- severity: level
-- params: min_amount = 500000
-- key: region_code, project_key
-- message: {subject}{project_name}申请{amount}，{problem} | {subject}, {project_name}: {amount} asked, {problem_en}
-- description: 绩效目标 are to be specific and measurable (指标明确、可衡量: quantity, quality, time,
--   cost, effect, each with a value). Per region × project of the draft asking min_amount 元 or
--   more: a project with no target and no indicator at all is red; one whose target and
--   indicators hold no figure (no digit, half- or full-width) is yellow — 提升服务质量 cannot be
--   checked at the year's end.
WITH p AS (
    SELECT coalesce(region_code, '') AS region_code,
           coalesce(project_code, project_name) AS project_key,
           max(project_name) AS project_name, max(agency_name) AS agency_name, max(dept_name) AS dept_name,
           max(agency_code) AS agency_code,
           sum(amount) AS amount,
           max(coalesce(performance_target, '')) AS target, max(coalesce(indicators, '')) AS indicators
    FROM draft_budget
    WHERE period = substr($period, 1, 4) AND coalesce(project_code, project_name) IS NOT NULL
    GROUP BY coalesce(region_code, ''), coalesce(project_code, project_name)
), t AS (
    SELECT *, trim(target || indicators) AS text_all FROM p WHERE amount >= $min_amount
)
SELECT region_code, project_key,
       coalesce(agency_name, dept_name, project_key) AS subject,
       dept_name, agency_code, project_name, target, indicators, amount,
       CASE WHEN text_all = '' THEN '红' ELSE '黄' END AS level,
       CASE WHEN text_all = '' THEN '未设绩效目标' ELSE '绩效目标“' || target || '”未量化（无可衡量的指标值）' END AS problem,
       CASE WHEN text_all = '' THEN 'no performance target' ELSE 'its target holds no measurable figure' END AS problem_en
FROM t
WHERE translate(text_all, '0123456789０１２３４５６７８９', '') = text_all
