-- id: soe_loss
-- title: 国企连续亏损 | SOE making losses two years running
-- category: 流量
-- focus: assets
-- budgets: state_capital
-- stake: loss
-- datasets: soe_finance
-- cadence: quarter
-- finding: state
-- basis: ytd
-- severity: level
-- params: red_pct = 10
-- key: region_code, enterprise_key
-- message: {subject}本年累计亏损{loss}，上年同期亏损{prior_loss}，连续亏损；所有者权益{owners_equity}{share_zh}（数据截至{data_period}） | {subject}: a loss of {loss} this year to date after {prior_loss} in the same period last year; owners' equity {owners_equity}{share_en} (data as of {data_period})
-- description: 亏损企业治理 (国资委's 亏损企业专项治理): an enterprise losing money this year to
--   date and in the same period last year is loss-making two years running, yellow; red when the
--   year's loss eats red_pct % or more of its owners' equity (或所有者权益为负). A loss that
--   deepens is soe_profit_decline's business as well; this rule also keeps a loss that shrinks in
--   view. Each enterprise's latest report of the last three months stands (cadence: quarter).
WITH latest AS (
    SELECT coalesce(region_code, '') AS region_code, coalesce(enterprise_code, enterprise_name) AS enterprise_key,
           max(period) AS data_period
    FROM soe_finance
    WHERE period >= $since AND period <= $period
    GROUP BY coalesce(region_code, ''), coalesce(enterprise_code, enterprise_name)
), s AS (
    SELECT l.region_code, l.enterprise_key, l.data_period, max(s.enterprise_name) AS enterprise_name,
           sum(s.profit) AS profit, sum(s.prior_profit) AS prior_profit, sum(s.owners_equity) AS owners_equity
    FROM soe_finance s JOIN latest l
      ON coalesce(s.region_code, '') = l.region_code AND coalesce(s.enterprise_code, s.enterprise_name) = l.enterprise_key
     AND s.period = l.data_period
    GROUP BY l.region_code, l.enterprise_key, l.data_period
), x AS (
    SELECT *, -profit AS loss, -prior_profit AS prior_loss,
           CASE WHEN owners_equity > 0 THEN 100.0 * CAST(-profit AS DOUBLE) / CAST(owners_equity AS DOUBLE) END AS pct
    FROM s WHERE profit < 0 AND prior_profit < 0
)
SELECT region_code, enterprise_key,
       coalesce(enterprise_name, enterprise_key) AS subject,
       CASE WHEN pct IS NULL OR pct >= $red_pct THEN '红' ELSE '黄' END AS level,
       round(pct, CASE WHEN round(pct, 1) <> $red_pct THEN 1 WHEN round(pct, 2) <> $red_pct THEN 2 ELSE 4 END) AS value,
       $red_pct AS expected,
       round(pct - $red_pct, CASE WHEN round(pct, 1) <> $red_pct THEN 1 WHEN round(pct, 2) <> $red_pct THEN 2 ELSE 4 END) AS difference,
       CASE WHEN pct IS NULL THEN '，资不抵债' ELSE '，亏损额占其' || CAST(round(pct, CASE WHEN round(pct, 1) <> $red_pct THEN 1 WHEN round(pct, 2) <> $red_pct THEN 2 ELSE 4 END) AS VARCHAR) || '%' END AS share_zh,
       CASE WHEN pct IS NULL THEN ', liabilities above assets' ELSE ', the loss ' || CAST(round(pct, CASE WHEN round(pct, 1) <> $red_pct THEN 1 WHEN round(pct, 2) <> $red_pct THEN 2 ELSE 4 END) AS VARCHAR) || '% of it' END AS share_en,
       loss, prior_loss, owners_equity, data_period
FROM x
