-- id: transfer_issue_late
-- title: 本级转移支付下达超过法定时限 | Own transfers issued past the legal deadline
-- category: 合规
-- focus: transfers
-- budgets: general, fund
-- stake: amount
-- datasets: allocations
-- cadence: standing
-- finding: event
-- basis: annual
-- severity: level
-- params: general_days = 30, earmarked_days = 60, red_over_days = 30
-- key: region_code, doc_no, recipient_key
-- message: {subject}（{doc_no}，{amount}）{state_zh}：{basis_zh}{basis_date}，{done_zh}，超过{expected}天时限{value}天 | {subject} ({doc_no}, {amount}) {state_en}: {basis_en} {basis_date}, {done_en}, {value} days past the {expected}-day limit
-- description: 预算法 §52: a government at county level and above issues its own transfers to
--   lower governments within 30 days (一般性转移支付, general_days) and 60 days (专项转移支付 and
--   any other kind, earmarked_days) of its congress approving the budget. Money received from
--   above and passed on (来源 naming 中央 or 上级, or a kind saying 转下达) is
--   transfer_passon_late's business. One finding per document × lower government in the
--   region's latest 指标下达 ledger up to the period; a transfer not yet issued is counted to the
--   period's end and is red, as is one later than red_over_days beyond its limit.
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
           min(a.approved_date) AS basis_date,
           max(a.issued_date) AS issued_date,
           count(a.issued_date) < count(*) AS pending
    FROM allocations a JOIN latest ON coalesce(a.region_code, '') = latest.region_code AND a.period = latest.data_period
    WHERE a.kind LIKE '%转移支付%' AND a.kind NOT LIKE '%转下达%' AND coalesce(a.source, '') NOT LIKE '%中央%' AND coalesce(a.source, '') NOT LIKE '%上级%'
    GROUP BY latest.region_code, latest.data_period, a.doc_no, coalesce(a.recipient_code, a.recipient_name, '')
), judged AS (
    SELECT *,
           CASE WHEN kind LIKE '%一般性%' THEN $general_days ELSE $earmarked_days END AS limit_days,
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
       CASE WHEN pending THEN '逾期未下达' ELSE '下达迟延' END AS state_zh,
       CASE WHEN pending THEN 'not issued past its deadline' ELSE 'issued late' END AS state_en,
       '本级人代会批准预算于' AS basis_zh, 'budget approved by the congress on' AS basis_en,
       CASE WHEN pending THEN '截至' || CAST(CAST($period_end AS DATE) AS VARCHAR) || '仍未下达' ELSE CAST(issued_date AS VARCHAR) || '下达' END AS done_zh,
       CASE WHEN pending THEN 'still not issued on ' || CAST(CAST($period_end AS DATE) AS VARCHAR) ELSE 'issued on ' || CAST(issued_date AS VARCHAR) END AS done_en,
       CAST(basis_date AS VARCHAR) AS basis_date, issued_date, elapsed,
       kind, source, doc_title, amount, data_period
FROM days
WHERE elapsed > limit_days
