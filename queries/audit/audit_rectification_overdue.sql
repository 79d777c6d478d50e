-- id: audit_rectification_overdue
-- title: 审计整改逾期 | Audit finding not rectified by its deadline
-- category: 合规
-- datasets: audit_findings
-- severity: level
-- params: red_days = 90
-- key: finding_no
-- message: {subject}（{category}）整改期限{expected}，已逾期{value}天，状态：{status} | {subject} ({category}): due {expected}, {value} days overdue, status {status}
-- description: The latest rectification report up to the period: findings not 已整改 whose
--   deadline has passed by the period's last day. Red once overdue by red_days.
WITH latest AS (
    SELECT max(period) AS p FROM audit_findings WHERE period <= $period
), f AS (
    SELECT a.*, CAST((date_part('epoch', $period_end) - date_part('epoch', a.due_date)) / 86400 AS BIGINT) AS overdue_days
    FROM audit_findings a JOIN latest ON a.period = latest.p
    WHERE a.due_date < $period_end AND coalesce(a.status, '') <> '已整改'
)
SELECT finding_no AS alert_key,
       audited_entity AS subject,
       CASE WHEN overdue_days >= $red_days THEN '红' ELSE '黄' END AS level,
       overdue_days AS value,
       CAST(due_date AS VARCHAR) AS expected,
       overdue_days AS difference,
       category, description, status, amount, report_name, period AS report_period
FROM f
