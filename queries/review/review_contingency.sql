-- id: review_contingency
-- title: 预备费预算不在1%–3% | Draft contingency reserve outside 1–3 %
-- category: 合规
-- focus: structure
-- budgets: general
-- stake: reserve
-- datasets: draft_budget
-- cadence: year
-- finding: state
-- basis: annual
-- severity: 黄
-- params: min_pct = 1, max_pct = 3, min_departments = 2
-- key: region_code
-- message: {subject}预算草案预备费{reserve}，为一般公共预算支出{expenditure}的{value}%，{side}（预算法第四十条：1%–3%） | {subject}: the draft's contingency reserve of {reserve} is {value}% of general budget expenditure of {expenditure}, {side_en} (预算法 §40: 1–3 %)
-- description: 预算法 §40: the general budget sets a contingency reserve (预备费, 功能分类 227) at
--   1–3 % of its expenditure. Per region, the draft's 227 lines over all its general-budget
--   lines; a draft with no 227 line at all is judged at 0 % — when it is the government's whole
--   draft, lines of min_departments departments or more: one department's own budget table (a
--   school's, a bureau's) carries no reserve and is not judged. Execution is contingency_reserve's
--   business; this reads the draft before the vote.
WITH d AS (
    SELECT coalesce(region_code, '') AS region_code, max(region_name) AS region_name,
           sum(amount) AS expenditure,
           coalesce(sum(CASE WHEN substr(func_code, 1, 3) = '227' THEN amount END), 0) AS reserve,
           count(CASE WHEN substr(func_code, 1, 3) = '227' THEN 1 END) > 0 AS has_reserve,
           count(DISTINCT coalesce(dept_code, dept_name)) AS departments
    FROM draft_budget
    WHERE period = substr($period, 1, 4) AND (budget_kind IS NULL OR budget_kind LIKE '%一般公共%')
    GROUP BY coalesce(region_code, '')
), r AS (
    SELECT *, 100.0 * CAST(reserve AS DOUBLE) / CAST(expenditure AS DOUBLE) AS pct FROM d
    WHERE expenditure > 0 AND (has_reserve OR departments >= $min_departments)
)
SELECT region_code, coalesce(region_name, region_code) AS subject,
       round(pct, CASE WHEN round(pct, 1) <> $min_pct AND round(pct, 1) <> $max_pct THEN 1 WHEN round(pct, 2) <> $min_pct AND round(pct, 2) <> $max_pct THEN 2 ELSE 4 END) AS value,
       CASE WHEN pct < $min_pct THEN $min_pct ELSE $max_pct END AS expected,
       round(pct - CASE WHEN pct < $min_pct THEN $min_pct ELSE $max_pct END, CASE WHEN round(pct, 1) <> $min_pct AND round(pct, 1) <> $max_pct THEN 1 WHEN round(pct, 2) <> $min_pct AND round(pct, 2) <> $max_pct THEN 2 ELSE 4 END) AS difference,
       CASE WHEN pct < $min_pct THEN '低于下限' ELSE '高于上限' END AS side,
       CASE WHEN pct < $min_pct THEN 'below the floor' ELSE 'above the ceiling' END AS side_en,
       reserve, expenditure
FROM r
WHERE pct < $min_pct OR pct > $max_pct
