-- id: review_transfer_advance
-- title: 转移支付提前下达比例偏低 | Too little of the transfers to lower governments issued in advance
-- category: 流速
-- focus: transfers
-- budgets: general
-- stake: amount
-- datasets: draft_budget
-- cadence: year
-- finding: state
-- basis: annual
-- severity: level
-- params: general_min_pct = 90, special_min_pct = 70, red_pct = 50
-- key: region_code, transfer_kind
-- message: {subject}{transfer_kind}预算{amount}，已提前下达{advance}（{value}%），低于{expected}% | {subject}: {advance} of the {amount} of {transfer_kind_en} budgeted issued in advance ({value}%), under {expected}%
-- description: 预算法实施条例: transfers to lower governments are issued in advance (提前下达), before
--   their year, so the lower governments can put them in their own budgets; the share issued in
--   advance is generally no less than 90 % for general transfers (一般性转移支付) and 70 % for
--   special ones (专项转移支付). Per region × kind, the draft's transfer lines (功能分类 23002
--   一般性转移支付 / 23003 专项转移支付, or lines named so) and what of them the draft says was
--   issued in advance (已提前下达数): under the kind's floor yellow, under red_pct % red. Lines
--   that give no advance figure are not judged (a draft without the column finds nothing).
WITH t AS (
    SELECT coalesce(region_code, '') AS region_code, max(region_name) AS region_name,
           CASE WHEN func_code LIKE '23002%' OR (func_code IS NULL AND func_name LIKE '%一般性转移支付%') THEN '一般性转移支付'
                WHEN func_code LIKE '23003%' OR (func_code IS NULL AND func_name LIKE '%专项转移支付%') THEN '专项转移支付' END AS transfer_kind,
           sum(amount) AS amount, sum(advance_issued) AS advance
    FROM draft_budget
    WHERE period = substr($period, 1, 4) AND advance_issued IS NOT NULL
      AND (budget_kind IS NULL OR budget_kind LIKE '%一般公共%')
    GROUP BY 1, 3
), r AS (
    SELECT *, 100.0 * CAST(advance AS DOUBLE) / CAST(amount AS DOUBLE) AS share,
           CASE WHEN transfer_kind = '一般性转移支付' THEN $general_min_pct ELSE $special_min_pct END AS floor_pct
    FROM t WHERE transfer_kind IS NOT NULL AND amount > 0
)
SELECT region_code, transfer_kind,
       coalesce(region_name, region_code) AS subject,
       CASE WHEN transfer_kind = '一般性转移支付' THEN 'general transfers' ELSE 'special transfers' END AS transfer_kind_en,
       CASE WHEN share < $red_pct THEN '红' ELSE '黄' END AS level,
       round(share, CASE WHEN round(share, 1) <> floor_pct AND round(share, 1) <> $red_pct THEN 1 WHEN round(share, 2) <> floor_pct AND round(share, 2) <> $red_pct THEN 2 ELSE 4 END) AS value,
       floor_pct AS expected,
       round(share - floor_pct, CASE WHEN round(share, 1) <> floor_pct AND round(share, 1) <> $red_pct THEN 1 WHEN round(share, 2) <> floor_pct AND round(share, 2) <> $red_pct THEN 2 ELSE 4 END) AS difference,
       amount, advance
FROM r
WHERE share < floor_pct
