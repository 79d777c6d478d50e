-- id: general_expenditure_growth
-- title: 一般性支出增长 | General expenditure growing
-- category: 合规
-- focus: structure
-- budgets: general
-- stake: ytd_amount
-- datasets: budget_execution
-- cadence: month
-- finding: state
-- basis: ytd
-- severity: level
-- params: econ_classes = '302', max_growth_pct = 0, red_growth_pct = 10
-- key: region_code
-- message: {subject}一般性支出（经济分类{econ_classes}）累计{ytd_amount}，上年同期{prior_ytd_amount}，增长{value}%（应压减） | {subject}: general expenditure ({econ_classes}) {ytd_amount}, up {value}% on last year's {prior_ytd_amount} (to be cut)
-- description: 一般性支出 (the running costs governments are told to cut year on year, 过紧日子: by
--   default 部门预算支出经济分类 302 商品和服务支出; `econ_classes` lists the 类 or 款 codes, `|`
--   between them) in the general budget, year to date against the same months of last year
--   (上年同期累计), per region: growth above max_growth_pct is yellow, from red_growth_pct red.
--   Detail rows only; a row that names no budget kind counts as the general budget's. A line with
--   no figure for last year counts as nothing last year (new spending is growth); a region whose
--   extract gives last year's figures for none of its lines is not judged.
WITH g AS (
    SELECT region_code,
           max(region_name) AS region_name,
           sum(ytd_amount) AS ytd_amount,
           sum(coalesce(prior_ytd_amount, 0)) AS prior_ytd_amount,
           count(prior_ytd_amount) AS with_prior
    FROM budget_execution
    WHERE period = $period AND is_detail
      AND (budget_kind IS NULL OR budget_kind LIKE '%一般公共%')
      AND (strpos('|' || $econ_classes || '|', '|' || substr(dept_econ_code, 1, 3) || '|') > 0
           OR strpos('|' || $econ_classes || '|', '|' || substr(dept_econ_code, 1, 5) || '|') > 0)
    GROUP BY region_code
    HAVING count(prior_ytd_amount) > 0 AND sum(coalesce(prior_ytd_amount, 0)) > 0
), r AS (
    SELECT *, 100.0 * CAST(ytd_amount - prior_ytd_amount AS DOUBLE) / CAST(prior_ytd_amount AS DOUBLE) AS growth
    FROM g
), shown AS (
    -- One more decimal where rounding would read as a line itself (0.04 % growth is not 0.0 %).
    SELECT *, CASE WHEN round(growth, 1) <> $max_growth_pct AND round(growth, 1) <> $red_growth_pct THEN 1
                   WHEN round(growth, 2) <> $max_growth_pct AND round(growth, 2) <> $red_growth_pct THEN 2
                   ELSE 4 END AS digits
    FROM r
)
SELECT region_code,
       coalesce(region_name, region_code) AS subject,
       $econ_classes AS econ_classes,
       CASE WHEN growth >= $red_growth_pct THEN '红' ELSE '黄' END AS level,
       round(growth, digits) AS value,
       $max_growth_pct AS expected,
       round(growth - $max_growth_pct, digits) AS difference,
       ytd_amount, prior_ytd_amount
FROM shown
WHERE growth > $max_growth_pct
