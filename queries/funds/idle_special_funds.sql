-- id: idle_special_funds
-- title: 专项资金分配迟缓或沉淀 | Special funds allocated late or left idle
-- category: 流速
-- datasets: special_funds
-- severity: level
-- params: general_days = 30, earmarked_days = 90, idle_days = 180
-- key: fund_code
-- message: {subject}：{problem} | {subject}: {problem_en}
-- description: Direct funds (直达资金) must be allocated within general_days of issue for general
--   transfers (一般性转移支付) and earmarked_days for others; any fund allocated but with nothing
--   spent idle_days after allocation is idle (沉淀). Days are counted to the period's last day.
WITH f AS (
    SELECT coalesce(fund_code, fund_name) AS fund_key, fund_name, transfer_kind, is_direct, dept_name,
           issued_amount, allocated_amount, spent_amount, issued_date, allocated_date,
           CAST((date_part('epoch', coalesce(allocated_date, $period_end)) - date_part('epoch', issued_date)) / 86400 AS BIGINT) AS days_to_allocate,
           CAST((date_part('epoch', $period_end) - date_part('epoch', allocated_date)) / 86400 AS BIGINT) AS days_since_allocation,
           CASE WHEN transfer_kind = '一般性转移支付' THEN $general_days ELSE $earmarked_days END AS allowed_days
    FROM special_funds
    WHERE period = $period
), flagged AS (
    SELECT *,
           is_direct AND days_to_allocate > allowed_days AS late,
           allocated_amount > 0 AND coalesce(spent_amount, 0) = 0 AND days_since_allocation > $idle_days AS idle
    FROM f
)
SELECT fund_key AS alert_key,
       fund_name AS subject,
       dept_name,
       CASE WHEN idle THEN '橙' ELSE '黄' END AS level,
       CASE WHEN idle THEN days_since_allocation ELSE days_to_allocate END AS value,
       CASE WHEN idle THEN $idle_days ELSE allowed_days END AS expected,
       CASE WHEN idle THEN days_since_allocation - $idle_days ELSE days_to_allocate - allowed_days END AS difference,
       CASE WHEN idle THEN '分配后' || CAST(days_since_allocation AS VARCHAR) || '天仍未支出'
            ELSE '下达后' || CAST(days_to_allocate AS VARCHAR) || '天' || CASE WHEN allocated_date IS NULL THEN '仍未分配' ELSE '才分配' END
                 || '（时限' || CAST(allowed_days AS VARCHAR) || '天）' END AS problem,
       CASE WHEN idle THEN 'nothing spent ' || CAST(days_since_allocation AS VARCHAR) || ' days after allocation'
            ELSE 'allocated ' || CAST(days_to_allocate AS VARCHAR) || ' days after issue (limit ' || CAST(allowed_days AS VARCHAR) || ')' END AS problem_en,
       transfer_kind, issued_amount, allocated_amount, spent_amount, issued_date, allocated_date
FROM flagged
WHERE late OR idle
