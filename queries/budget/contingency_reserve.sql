-- id: contingency_reserve
-- title: 预备费设置不合规 | Contingency reserve outside 1–3 % of expenditure
-- category: 合规
-- focus: structure
-- budgets: general
-- stake: reserve
-- datasets: budget_execution
-- cadence: month
-- finding: state
-- basis: ytd
-- severity: 黄
-- params: reserve_class = '227', min_pct = 1, max_pct = 3
-- key: region_code
-- message: {subject}预备费{reserve}，为一般公共预算支出{expenditure}的{value}%，{side_zh}（预算法第四十条：{min_pct}%–{max_pct}%） | {subject}: contingency reserve {reserve}, {value}% of general budget expenditure {expenditure}, {side_en} (Budget Law §40: {min_pct}–{max_pct} %)
-- description: 《预算法》 §40: each level's general budget sets a contingency reserve (预备费,
--   支出功能分类 227) of 1–3 % of its general budget expenditure. Per region, the reserve as the
--   budget set it (年初预算数; 调整后预算数 where an extract gives no initial figure) over all of the
--   general budget's expenditure, reserve included; at exactly 1 % or 3 % it is within the law.
--   Detail rows only; a row that names no budget kind counts as the general budget's. Only a
--   region whose extract carries a 227 line is judged: an extract of the units' spending often
--   leaves out the reserve the finance bureau holds, and its absence there says nothing.
WITH g AS (
    SELECT region_code,
           max(region_name) AS region_name,
           sum(CASE WHEN starts_with(func_code, $reserve_class) THEN coalesce(initial_budget, adjusted_budget) END) AS reserve,
           sum(coalesce(initial_budget, adjusted_budget)) AS expenditure,
           count(CASE WHEN starts_with(func_code, $reserve_class) THEN 1 END) AS reserve_rows
    FROM budget_execution
    WHERE period = $period AND is_detail
      AND (budget_kind IS NULL OR budget_kind LIKE '%一般公共%')
    GROUP BY region_code
    HAVING count(CASE WHEN starts_with(func_code, $reserve_class) THEN 1 END) > 0
       AND sum(coalesce(initial_budget, adjusted_budget)) > 0
), r AS (
    SELECT *, 100.0 * CAST(reserve AS DOUBLE) / CAST(expenditure AS DOUBLE) AS share
    FROM g
), shown AS (
    SELECT *, CASE WHEN round(share, 2) <> $min_pct AND round(share, 2) <> $max_pct THEN 2
                   WHEN round(share, 3) <> $min_pct AND round(share, 3) <> $max_pct THEN 3
                   ELSE 4 END AS digits
    FROM r
)
SELECT region_code,
       coalesce(region_name, region_code) AS subject,
       round(share, digits) AS value,
       CASE WHEN share < $min_pct THEN $min_pct ELSE $max_pct END AS expected,
       round(share - CASE WHEN share < $min_pct THEN $min_pct ELSE $max_pct END, digits) AS difference,
       CASE WHEN share < $min_pct THEN '低于下限' ELSE '高于上限' END AS side_zh,
       CASE WHEN share < $min_pct THEN 'below the floor' ELSE 'above the ceiling' END AS side_en,
       $min_pct AS min_pct, $max_pct AS max_pct,
       reserve, expenditure
FROM shown
WHERE share < $min_pct OR share > $max_pct
