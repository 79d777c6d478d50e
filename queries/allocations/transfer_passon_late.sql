-- id: transfer_passon_late
-- title: 上级转移支付转下达超过时限 | Transfers from above passed on late
-- category: 合规
-- focus: transfers
-- budgets: general, fund
-- stake: amount
-- datasets: allocations
-- cadence: standing
-- finding: event
-- basis: annual
-- severity: level
-- params: limit_days = 30, red_over_days = 30
-- key: region_code, doc_no, recipient_key
-- message: {subject}（{doc_no}，{amount}）{state_zh}：{basis_zh}{basis_date}，{done_zh}，超过{expected}天时限{value}天 | {subject} ({doc_no}, {amount}) {state_en}: {basis_en} {basis_date}, {done_en}, {value} days past the {expected}-day limit
-- description: 预算法 §52 and its 实施条例: transfers received from a higher government (来源
--   naming 中央 or 上级, or a kind saying 转下达) are passed on to the governments below within 30
--   days (limit_days) of receipt (收到日期). One finding per document × receiving government in
--   the region's latest 指标下达 ledger up to the period, read document by document (the
--   special-funds ledger's idle_special_funds reads the same deadline fund by fund); money still
--   held is counted to the period's end and is red, as is a transfer later than red_over_days
--   beyond the limit.
WITH latest AS (
    SELECT coalesce(region_code, '') AS region_code, max(period) AS data_period
    FROM allocations
    WHERE period <= $period
    GROUP BY coalesce(region_code, '')
), docs AS (
    SELECT latest.region_code, latest.data_period, a.doc_no,
           coalesce(a.recipient_code, a.recipient_name, '') AS recipient_key,
           max(a.recipient_name) AS recipient_name, max(a.region_name) AS region_name,
           max(a.kind) AS kind, max(a.source) AS source, max(a.doc_title) AS doc_title,
           sum(a.amount) AS amount,
           min(a.received_date) AS basis_date,
           max(a.issued_date) AS issued_date,
           count(a.issued_date) < count(*) AS pending
    FROM allocations a JOIN latest ON coalesce(a.region_code, '') = latest.region_code AND a.period = latest.data_period
    WHERE (a.kind LIKE '%转下达%' OR coalesce(a.source, '') LIKE '%中央%' OR coalesce(a.source, '') LIKE '%上级%')
    GROUP BY latest.region_code, latest.data_period, a.doc_no, coalesce(a.recipient_code, a.recipient_name, '')
), judged AS (
    SELECT *,
           $limit_days AS limit_days,
           CASE WHEN pending THEN CAST($period_end AS DATE) ELSE issued_date END AS upto
    FROM docs
    WHERE basis_date IS NOT NULL AND basis_date <= CAST($period_end AS DATE)
), days AS (
    SELECT *, CAST((date_part('epoch', upto) - date_part('epoch', basis_date)) / 86400 AS BIGINT) AS elapsed
    FROM judged
)
SELECT region_code, doc_no, recipient_key,
       coalesce(recipient_name, recipient_key, region_name) AS subject,
       CASE WHEN pending OR elapsed - limit_days > $red_over_days THEN '红' ELSE '黄' END AS level,
       elapsed - limit_days AS value,
       limit_days AS expected,
       elapsed - limit_days AS difference,
       CASE WHEN pending THEN '逾期未转下达' ELSE '转下达迟延' END AS state_zh,
       CASE WHEN pending THEN 'not passed on past its deadline' ELSE 'passed on late' END AS state_en,
       '上级指标收到于' AS basis_zh, 'received from above on' AS basis_en,
       CASE WHEN pending THEN '截至' || CAST(CAST($period_end AS DATE) AS VARCHAR) || '仍未转下达' ELSE CAST(issued_date AS VARCHAR) || '转下达' END AS done_zh,
       CASE WHEN pending THEN 'still not passed on on ' || CAST(CAST($period_end AS DATE) AS VARCHAR) ELSE 'passed on on ' || CAST(issued_date AS VARCHAR) END AS done_en,
       CAST(basis_date AS VARCHAR) AS basis_date, issued_date, elapsed,
       kind, source, doc_title, amount, data_period
FROM days
WHERE elapsed > limit_days
