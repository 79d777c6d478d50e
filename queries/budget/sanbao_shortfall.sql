-- id: sanbao_shortfall
-- title: “三保”支出进度不足 | 三保 spending (wages, operations, basic livelihoods) behind need
-- category: 流速
-- focus: policy
-- budgets: general
-- stake: adjusted_budget
-- datasets: budget_execution
-- cadence: month
-- finding: state
-- basis: ytd
-- severity: level
-- params: wages = '301', operations = '302', livelihoods = '303', yellow_pp = 10, red_pp = 20
-- key: region_code, part
-- message: {subject}“三保”之{part_zh}支出累计{ytd_amount}，为预算{adjusted_budget}的{value}%，序时进度{expected}%，落后{difference}个百分点 | {subject}, 三保 {part_en}: {ytd_amount} spent, {value}% of the budget of {adjusted_budget}, against time progress {expected}%: {difference} pp behind
-- description: 三保 (保基本民生, 保工资, 保运转) come first in every budget (国务院: 县级“三保”
--   支出在预算安排中的优先顺序) and are spent evenly through the year: salaries monthly,
--   operations and the basic-livelihood benefits to people on a schedule. Per region, the general
--   budget's year-to-date spending on each part, read by 部门预算支出经济分类 (else 政府预算支出
--   经济分类: 501 / 502 / 509 for the same parts), against its adjusted budget and the share of
--   the year gone (month / 12): behind by yellow_pp points yellow, red_pp red — wages owed or
--   benefits not paid. The parts are parameters (`|` between codes): wages 301 工资福利支出,
--   operations 302 商品和服务支出, livelihoods 303 对个人和家庭的补助.
WITH lines AS (
    SELECT region_code, region_name, ytd_amount, adjusted_budget,
           CASE WHEN dept_econ_code IS NOT NULL THEN substr(dept_econ_code, 1, 3)
                WHEN substr(gov_econ_code, 1, 3) = '501' THEN '301'
                WHEN substr(gov_econ_code, 1, 3) = '502' THEN '302'
                WHEN substr(gov_econ_code, 1, 3) = '509' THEN '303' END AS econ
    FROM budget_execution
    WHERE period = $period AND is_detail
      AND (budget_kind IS NULL OR budget_kind LIKE '%一般公共%')
), parts AS (
    SELECT region_code, region_name, ytd_amount, adjusted_budget,
           CASE WHEN strpos('|' || $wages || '|', '|' || econ || '|') > 0 THEN 'wages'
                WHEN strpos('|' || $operations || '|', '|' || econ || '|') > 0 THEN 'operations'
                WHEN strpos('|' || $livelihoods || '|', '|' || econ || '|') > 0 THEN 'livelihoods' END AS part
    FROM lines WHERE econ IS NOT NULL
), p AS (
    SELECT region_code, part, max(region_name) AS region_name,
           sum(ytd_amount) AS ytd_amount, sum(adjusted_budget) AS adjusted_budget
    FROM parts WHERE part IS NOT NULL
    GROUP BY region_code, part
), g AS (
    SELECT *, 100.0 * CAST(ytd_amount AS DOUBLE) / CAST(adjusted_budget AS DOUBLE) AS done_pct,
           100.0 * $month / 12.0 AS time_pct
    FROM p WHERE adjusted_budget > 0
)
SELECT region_code, part,
       coalesce(region_name, region_code) AS subject,
       CASE part WHEN 'wages' THEN '保工资' WHEN 'operations' THEN '保运转' ELSE '保基本民生' END AS part_zh,
       CASE part WHEN 'wages' THEN 'wages' WHEN 'operations' THEN 'operations' ELSE 'basic livelihoods' END AS part_en,
       CASE WHEN time_pct - done_pct >= $red_pp THEN '红' ELSE '黄' END AS level,
       round(done_pct, CASE WHEN round(time_pct - done_pct, 1) <> $yellow_pp AND round(time_pct - done_pct, 1) <> $red_pp THEN 1 WHEN round(time_pct - done_pct, 2) <> $yellow_pp AND round(time_pct - done_pct, 2) <> $red_pp THEN 2 ELSE 4 END) AS value,
       round(time_pct, 1) AS expected,
       round(time_pct - done_pct, CASE WHEN round(time_pct - done_pct, 1) <> $yellow_pp AND round(time_pct - done_pct, 1) <> $red_pp THEN 1 WHEN round(time_pct - done_pct, 2) <> $yellow_pp AND round(time_pct - done_pct, 2) <> $red_pp THEN 2 ELSE 4 END) AS difference,
       ytd_amount, adjusted_budget
FROM g
WHERE time_pct - done_pct >= $yellow_pp
