-- id: temporary_advances_growth
-- title: 暂付性款项新增 | Temporary advances growing
-- category: 流量
-- focus: structure
-- budgets: general
-- stake: growth
-- datasets: balances
-- cadence: quarter
-- finding: state
-- basis: ytd
-- severity: level
-- params: yellow_pct = 0, red_pct = 20
-- key: region_code
-- message: {subject}暂付性款项余额{balance}，比年初{opening_balance}增加{growth}（{value}%），存量应逐年消化（数据截至{data_period}） | {subject}: temporary advances of {balance}, up {growth} ({value}%) on the year's opening {opening_balance}; the stock is to be cleared down (data as of {data_period})
-- description: The stock of 暂付性款项 (items naming 暂付 or 借出, the treasury's own accounts) is to
--   be cleared down year by year, and new advances made only as the rules allow: a balance above
--   the year's opening balance (年初余额) is flagged, yellow when it grew by more than yellow_pct
--   % (any growth by default), red from red_pct %. Per region, the latest balances of the last
--   three months of the year (cadence: quarter); a region whose rows give no opening balance is not
--   judged.
WITH bal AS (
    SELECT coalesce(region_code, '') AS region_code, max(period) AS data_period
    FROM balances
    WHERE period >= $since AND period <= $period AND substr(period, 1, 4) = substr($period, 1, 4)
    GROUP BY coalesce(region_code, '')
), adv AS (
    SELECT bal.region_code, bal.data_period, max(b.region_name) AS region_name, sum(b.balance) AS balance,
           sum(b.opening_balance) AS opening_balance
    FROM balances b JOIN bal ON coalesce(b.region_code, '') = bal.region_code AND b.period = bal.data_period
    WHERE (b.item_name LIKE '%暂付%' OR b.item_name LIKE '%借出%')
      AND coalesce(b.budget_kind, '') NOT LIKE '%社会保险%'
    GROUP BY bal.region_code, bal.data_period
), g AS (
    SELECT *, balance - opening_balance AS growth,
           100.0 * CAST(balance - opening_balance AS DOUBLE) / CAST(opening_balance AS DOUBLE) AS pct
    FROM adv WHERE opening_balance > 0
)
SELECT region_code, coalesce(region_name, region_code) AS subject,
       CASE WHEN pct >= $red_pct THEN '红' ELSE '黄' END AS level,
       round(pct, CASE WHEN round(pct, 1) <> $yellow_pct AND round(pct, 1) <> $red_pct THEN 1 WHEN round(pct, 2) <> $yellow_pct AND round(pct, 2) <> $red_pct THEN 2 ELSE 4 END) AS value,
       CASE WHEN pct >= $red_pct THEN $red_pct ELSE $yellow_pct END AS expected,
       round(pct - CASE WHEN pct >= $red_pct THEN $red_pct ELSE $yellow_pct END, CASE WHEN round(pct, 1) <> $yellow_pct AND round(pct, 1) <> $red_pct THEN 1 WHEN round(pct, 2) <> $yellow_pct AND round(pct, 2) <> $red_pct THEN 2 ELSE 4 END) AS difference,
       balance, opening_balance, growth, data_period
FROM g
WHERE pct > $yellow_pct
