-- id: final_vs_december
-- title: 决算与12月执行报告不符 | Final accounts differ from the December execution report
-- category: 合规
-- focus: structure
-- budgets: general, fund, state_capital, social_insurance
-- stake: gap
-- datasets: final_accounts, budget_execution
-- cadence: year
-- finding: state
-- basis: annual
-- severity: level
-- params: max_pct = 1, red_pct = 5
-- key: region_code, budget_kind, func_class
-- message: {subject}{budget_kind}{func_class}类决算数{outturn}，12月执行报告{ytd_amount}，相差{gap}{share_zh} | {subject}, {budget_kind}, class {func_class}: final accounts {outturn}, December's execution report {ytd_amount}, {gap} apart{share_en}
-- description: 决算审查: the final accounts should tell the year the December execution report
--   told, give or take the year-end settlement (年终结算). Per region × budget kind × 功能分类类,
--   the final outturn (detail rows) against December's year-to-date spending (detail rows of
--   budget execution, period YYYY-12 of the accounts' year): apart by more than max_pct % of the
--   December figure yellow, red_pct % red. A class in one and not the other is apart by all of
--   it. Run at the accounts' year end (`purse check --period YYYY-12`, or `purse review`), when
--   both the accounts (their year) and December's report stand.
WITH f AS (
    SELECT coalesce(region_code, '') AS region_code, coalesce(budget_kind, '一般公共预算') AS budget_kind,
           substr(func_code, 1, 3) AS func_class, max(region_name) AS region_name, sum(outturn) AS outturn
    FROM final_accounts
    WHERE period = substr($period, 1, 4) AND is_detail
    GROUP BY coalesce(region_code, ''), coalesce(budget_kind, '一般公共预算'), substr(func_code, 1, 3)
), e AS (
    SELECT coalesce(region_code, '') AS region_code, coalesce(budget_kind, '一般公共预算') AS budget_kind,
           substr(func_code, 1, 3) AS func_class, max(region_name) AS region_name, sum(ytd_amount) AS ytd_amount
    FROM budget_execution
    WHERE period = substr($period, 1, 4) || '-12' AND is_detail
    GROUP BY coalesce(region_code, ''), coalesce(budget_kind, '一般公共预算'), substr(func_code, 1, 3)
), j AS (
    SELECT coalesce(f.region_code, e.region_code) AS region_code,
           coalesce(f.budget_kind, e.budget_kind) AS budget_kind,
           coalesce(f.func_class, e.func_class) AS func_class,
           coalesce(f.region_name, e.region_name) AS region_name,
           coalesce(f.outturn, 0) AS outturn, coalesce(e.ytd_amount, 0) AS ytd_amount
    FROM f FULL JOIN e ON f.region_code = e.region_code AND f.budget_kind = e.budget_kind AND f.func_class = e.func_class
), g AS (
    SELECT *, outturn - ytd_amount AS gap,
           CASE WHEN ytd_amount <> 0 THEN 100.0 * abs(CAST(outturn - ytd_amount AS DOUBLE)) / abs(CAST(ytd_amount AS DOUBLE)) END AS pct
    FROM j
    WHERE region_code IN (SELECT region_code FROM f) AND region_code IN (SELECT region_code FROM e)
)
SELECT region_code, budget_kind, func_class,
       coalesce(region_name, region_code) AS subject,
       CASE WHEN pct IS NULL OR pct >= $red_pct THEN '红' ELSE '黄' END AS level,
       round(pct, CASE WHEN round(pct, 1) <> $max_pct AND round(pct, 1) <> $red_pct THEN 1 WHEN round(pct, 2) <> $max_pct AND round(pct, 2) <> $red_pct THEN 2 ELSE 4 END) AS value, $max_pct AS expected, round(pct - $max_pct, CASE WHEN round(pct, 1) <> $max_pct AND round(pct, 1) <> $red_pct THEN 1 WHEN round(pct, 2) <> $max_pct AND round(pct, 2) <> $red_pct THEN 2 ELSE 4 END) AS difference,
       CASE WHEN pct IS NULL THEN '（12月执行报告无此类）' ELSE '（' || CAST(round(pct, CASE WHEN round(pct, 1) <> $max_pct AND round(pct, 1) <> $red_pct THEN 1 WHEN round(pct, 2) <> $max_pct AND round(pct, 2) <> $red_pct THEN 2 ELSE 4 END) AS VARCHAR) || '%）' END AS share_zh,
       CASE WHEN pct IS NULL THEN ' (not in December''s report)' ELSE ' (' || CAST(round(pct, CASE WHEN round(pct, 1) <> $max_pct AND round(pct, 1) <> $red_pct THEN 1 WHEN round(pct, 2) <> $max_pct AND round(pct, 2) <> $red_pct THEN 2 ELSE 4 END) AS VARCHAR) || '%)' END AS share_en,
       outturn, ytd_amount, gap
FROM g
WHERE pct IS NULL OR pct > $max_pct
