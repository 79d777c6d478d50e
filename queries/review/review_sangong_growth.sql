-- id: review_sangong_growth
-- title: 三公经费预算增长 | 三公 budget up on last year
-- category: 流量
-- focus: department
-- budgets: general
-- stake: amount
-- datasets: draft_budget
-- cadence: year
-- finding: state
-- basis: annual
-- severity: level
-- params: codes = '30212|30217|30231|31013', red_pct = 10
-- key: region_code, dept_key
-- message: {subject}“三公”经费预算{amount}，比上年预算{prior_budget}{change_zh}，应只减不增 | {subject}: 三公 budgeted at {amount}, {change_en} last year's {prior_budget}; it is to fall, never rise
-- description: 三公经费 (因公出国（境）费 30212, 公务接待费 30217, 公务用车运行维护费 30231, 公务用车购置
--   31013: `codes`, `|` between them) are to fall year on year (只减不增). Per region × department
--   of the draft, the 三公 lines against last year's budget for them: any rise yellow, red_pct %
--   or more red. A department with no 三公 budget last year and some now rises from nothing: red.
WITH d AS (
    SELECT coalesce(region_code, '') AS region_code,
           coalesce(dept_code, dept_name) AS dept_key, max(dept_name) AS dept_name,
           sum(amount) AS amount, coalesce(sum(prior_budget), 0) AS prior_budget
    FROM draft_budget
    WHERE period = substr($period, 1, 4)
      AND strpos('|' || $codes || '|', '|' || dept_econ_code || '|') > 0
    GROUP BY coalesce(region_code, ''), coalesce(dept_code, dept_name)
), g AS (
    SELECT *, CASE WHEN prior_budget > 0 THEN 100.0 * CAST(amount - prior_budget AS DOUBLE) / CAST(prior_budget AS DOUBLE) END AS pct
    FROM d WHERE amount > prior_budget
)
SELECT region_code, dept_key,
       coalesce(dept_name, dept_key) AS subject, dept_name,
       CASE WHEN pct IS NULL OR pct >= $red_pct THEN '红' ELSE '黄' END AS level,
       round(pct, CASE WHEN round(pct, 1) <> 0 THEN 1 WHEN round(pct, 2) <> 0 THEN 2 ELSE 4 END) AS value, 0 AS expected, round(pct, CASE WHEN round(pct, 1) <> 0 THEN 1 WHEN round(pct, 2) <> 0 THEN 2 ELSE 4 END) AS difference,
       CASE WHEN pct IS NULL THEN '新增（上年无此预算）' ELSE '增长' || CAST(round(pct, CASE WHEN round(pct, 1) <> 0 THEN 1 WHEN round(pct, 2) <> 0 THEN 2 ELSE 4 END) AS VARCHAR) || '%' END AS change_zh,
       CASE WHEN pct IS NULL THEN 'new, with nothing in' ELSE CAST(round(pct, CASE WHEN round(pct, 1) <> 0 THEN 1 WHEN round(pct, 2) <> 0 THEN 2 ELSE 4 END) AS VARCHAR) || '% above' END AS change_en,
       amount, prior_budget
FROM g
