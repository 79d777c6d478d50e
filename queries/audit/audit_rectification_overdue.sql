-- id: audit_rectification_overdue
-- title: 审计整改逾期 | Audit finding not rectified by its deadline
-- category: 合规
-- focus: audit
-- budgets: general
-- stake: amount
-- datasets: audit_findings
-- cadence: standing
-- finding: state
-- basis: balance
-- severity: level
-- params: red_days = 90, default_due_days = 180
-- key: region_code, report_name, finding_no
-- message: {subject}（{report_name} {finding_no}，{category}）整改期限{expected}，已逾期{value}天，状态：{status_text} | {subject} ({report_name} {finding_no}, {category}): due {expected}, {value} days overdue, status {status_text}
-- description: Each audit report's latest rectification ledger up to the period stands until a
--   newer ledger of the same report replaces it (cadence: standing), so older reports never drop
--   out. A finding is (region, report, finding number): two reports both numbering 1..n are
--   different findings. Done means a status saying so: 已整改, 已完成整改, 整改完毕, 整改完成,
--   已销号, 已办结, 已完成, unless it also says 未 / 尚 / 部分 / 基本 / 正在 (部分整改 and 基本整改
--   are partly done, still open). A finding without a deadline is due default_due_days after the
--   first ledger that listed it (the State Council reports on rectification about six months
--   after the audit report). Red once overdue by red_days.
WITH latest AS (
    SELECT coalesce(region_code, '') AS region_code, coalesce(report_name, '') AS report_name, max(period) AS ledger_period
    FROM audit_findings
    WHERE period <= $period
    GROUP BY coalesce(region_code, ''), coalesce(report_name, '')
), first_seen AS (
    SELECT coalesce(region_code, '') AS region_code, coalesce(report_name, '') AS report_name, finding_no,
           min(period) AS first_period
    FROM audit_findings
    WHERE period <= $period
    GROUP BY coalesce(region_code, ''), coalesce(report_name, ''), finding_no
), f AS (
    SELECT l.region_code, l.report_name, a.finding_no, l.ledger_period,
           max(a.audited_entity) AS audited_entity, max(a.category) AS category, max(a.description) AS description,
           -- Done only when every row of the finding says done: a status is text, and max() over
           -- text would let '已整改' (U+5DF2) beat '尚未整改' (U+5C1A). The status shown is an
           -- open row's where there is one.
           min(a.done) AS all_done,
           coalesce(max(CASE WHEN a.done = 0 THEN a.status END), max(a.status)) AS status,
           sum(a.amount) AS amount, min(a.due_date) AS due_date, min(fs.first_period) AS first_period
    FROM (
        -- Each row's status read once: done is any word meaning done, unless it also says
        -- 未 / 尚 / 部分 / 基本 / 正在.
        SELECT *,
               CASE WHEN (coalesce(status, '') LIKE '%已整改%' OR coalesce(status, '') LIKE '%完成整改%'
                          OR coalesce(status, '') LIKE '%整改完毕%' OR coalesce(status, '') LIKE '%整改完成%'
                          OR coalesce(status, '') LIKE '%已销号%' OR coalesce(status, '') LIKE '%已办结%'
                          OR coalesce(status, '') LIKE '%已完成%')
                         AND coalesce(status, '') NOT LIKE '%未%' AND coalesce(status, '') NOT LIKE '%尚%'
                         AND coalesce(status, '') NOT LIKE '%部分%' AND coalesce(status, '') NOT LIKE '%基本%'
                         AND coalesce(status, '') NOT LIKE '%正在%'
                    THEN 1 ELSE 0 END AS done
        FROM audit_findings
        WHERE period <= $period
    ) a
    JOIN latest l ON coalesce(a.region_code, '') = l.region_code AND coalesce(a.report_name, '') = l.report_name
                 AND a.period = l.ledger_period
    JOIN first_seen fs ON fs.region_code = l.region_code AND fs.report_name = l.report_name AND fs.finding_no = a.finding_no
    GROUP BY l.region_code, l.report_name, a.finding_no, l.ledger_period
), d AS (
    SELECT *,
           CASE WHEN due_date IS NOT NULL
                THEN CAST((date_part('epoch', $period_end) - date_part('epoch', due_date)) / 86400 AS BIGINT)
                ELSE CAST((date_part('epoch', $period_end) - date_part('epoch', CAST(first_period || '-01' AS DATE))) / 86400 AS BIGINT)
                     - $default_due_days
           END AS overdue_days,
           coalesce(status, '') AS s
    FROM f
), open AS (
    SELECT * FROM d
    WHERE overdue_days > 0 AND all_done = 0
)
SELECT region_code, report_name, finding_no,
       coalesce(audited_entity, finding_no) AS subject,
       CASE WHEN overdue_days >= $red_days THEN '红' ELSE '黄' END AS level,
       overdue_days AS value,
       CASE WHEN due_date IS NOT NULL THEN CAST(due_date AS VARCHAR)
            ELSE '未定（按首次列入后' || CAST($default_due_days AS VARCHAR) || '天）' END AS expected,
       overdue_days AS difference,
       CASE WHEN s = '' THEN '未填报' ELSE s END AS status_text,
       category, description, status, amount, due_date, ledger_period, first_period
FROM open
