-- id: soe_profit_decline
-- title: 国企利润大幅下降 | SOE profit falling sharply
-- category: 流量
-- focus: assets
-- budgets: state_capital
-- datasets: soe_finance
-- cadence: quarter
-- finding: state
-- basis: ytd
-- severity: 黄
-- params: max_decline_pct = 20
-- key: region_code, enterprise_key
-- message: {subject}利润总额{profit}，比上年同期{prior_profit}{change_zh}（数据截至{data_period}） | {subject}: profit {profit}, {change_en} on last year's {prior_profit} (data as of {data_period})
-- description: Year-to-date profit against the same period last year. Each enterprise's latest
--   report of the last three months stands (cadence: quarter). A loss against a profit counts.
WITH latest AS (
    SELECT coalesce(region_code, '') AS region_code, coalesce(enterprise_code, enterprise_name) AS enterprise_key,
           max(period) AS data_period
    FROM soe_finance
    WHERE period >= $since AND period <= $period
    GROUP BY coalesce(region_code, ''), coalesce(enterprise_code, enterprise_name)
), s AS (
    SELECT l.region_code, l.enterprise_key, l.data_period, max(s.enterprise_name) AS enterprise_name,
           sum(s.profit) AS profit, sum(s.prior_profit) AS prior_profit
    FROM soe_finance s JOIN latest l
      ON coalesce(s.region_code, '') = l.region_code AND coalesce(s.enterprise_code, s.enterprise_name) = l.enterprise_key
     AND s.period = l.data_period
    GROUP BY l.region_code, l.enterprise_key, l.data_period
), x AS (
    -- Down on last year's profit, or a loss that deepens (-10 → -50: 400 % worse), measured
    -- against the size of last year's figure; a loss from break-even has no percentage.
    SELECT *,
           CASE WHEN prior_profit <> 0
                THEN 100.0 * CAST(prior_profit - profit AS DOUBLE) / abs(CAST(prior_profit AS DOUBLE)) END AS decline
    FROM s WHERE prior_profit <> 0 OR (prior_profit = 0 AND profit < 0)
), shown AS (
    -- Two decimals where one would hide that the line was crossed (20.01 % against 20 %).
    SELECT *, CASE WHEN decline - $max_decline_pct < 0.05 THEN 2 ELSE 1 END AS digits FROM x
)
SELECT region_code, enterprise_key, data_period,
       enterprise_name AS subject,
       round(decline, digits) AS value,
       $max_decline_pct AS expected,
       round(decline - $max_decline_pct, digits) AS difference,
       CASE WHEN decline IS NULL THEN '由盈亏持平转为亏损'
            WHEN prior_profit < 0 THEN '亏损扩大' || CAST(round(decline, digits) AS VARCHAR) || '%'
            ELSE '下降' || CAST(round(decline, digits) AS VARCHAR) || '%' END AS change_zh,
       CASE WHEN decline IS NULL THEN 'a loss from break-even'
            WHEN prior_profit < 0 THEN 'loss ' || CAST(round(decline, digits) AS VARCHAR) || '% deeper'
            ELSE 'down ' || CAST(round(decline, digits) AS VARCHAR) || '%' END AS change_en,
       profit, prior_profit
FROM shown
WHERE decline IS NULL OR decline > $max_decline_pct
