-- id: dept_budget_approval_late
-- title: 部门预算批复超过法定时限 | Department budget approved past the legal deadline
-- category: 合规
-- focus: department
-- budgets: general, fund, state_capital
-- stake: amount
-- datasets: allocations
-- cadence: standing
-- finding: event
-- basis: annual
-- severity: level
-- params: limit_days = 20, red_over_days = 30
-- key: region_code, doc_no, recipient_key
-- message: {subject}（{doc_no}，{amount}）{state_zh}：{basis_zh}{basis_date}，{done_zh}，超过{expected}天时限{value}天 | {subject} ({doc_no}, {amount}) {state_en}: {basis_en} {basis_date}, {done_en}, {value} days past the {expected}-day limit
-- description: 预算法 §52: the finance department approves (批复) each department's budget within 20
--   days (limit_days) of the people's congress approving the budget. One finding per approval
--   document × department in the latest 指标下达 ledger of the region up to the period (cadence:
--   standing); the days run from the congress's approval (批准日期) to the approval's date, or to
--   the period's end for an approval still not issued (then red: the department is spending
--   without an approved budget). Late by more than red_over_days beyond the limit is red too. A
--   late approval is a fact of the past (finding: event): issuing it later does not undo it.
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
    WHERE a.kind LIKE '%部门预算%'
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
       CASE WHEN pending THEN '逾期未批复' ELSE '批复迟延' END AS state_zh,
       CASE WHEN pending THEN 'not approved past its deadline' ELSE 'approved late' END AS state_en,
       '本级人代会批准预算于' AS basis_zh, 'budget approved by the congress on' AS basis_en,
       CASE WHEN pending THEN '截至' || CAST(CAST($period_end AS DATE) AS VARCHAR) || '仍未批复' ELSE CAST(issued_date AS VARCHAR) || '批复' END AS done_zh,
       CASE WHEN pending THEN 'still not approved on ' || CAST(CAST($period_end AS DATE) AS VARCHAR) ELSE 'approved on ' || CAST(issued_date AS VARCHAR) END AS done_en,
       CAST(basis_date AS VARCHAR) AS basis_date, issued_date, elapsed,
       kind, source, doc_title, amount, data_period
FROM days
WHERE elapsed > limit_days
