-- id: idle_special_funds
-- title: 专项资金分配迟缓或沉淀 | Special funds passed on late or left idle
-- category: 流速
-- datasets: special_funds
-- cadence: month
-- finding: state
-- basis: balance
-- severity: level
-- params: general_days = 30, earmarked_days = 60, idle_days = 180, min_spent_pct = 30
-- key: region_code, fund_key, project_key
-- message: {subject}：{problem} | {subject}: {problem_en}
-- description: Two failures, per region × fund × project (a fund spread over several projects is
--   judged project by project):
--   LATE. 《预算法》 §52 (2014) and its 实施条例 set how fast transfers are passed on: county level
--   and above issue general transfers (一般性转移支付) within 30 days and special transfers within
--   60 days; a province passes central transfers to county-level governments within 30 days of
--   receipt. We apply the local deadlines (general_days = 30, anything else earmarked_days = 60),
--   counted from the day the funds reached this government (下达日期), the day it could pass
--   them on; a province sets earmarked_days = 30 for the receipt rule. Every fund is held to
--   them, direct (直达) or not. A fund not yet fully allocated is counted to the period's end.
--   IDLE. Allocated money of which less than min_spent_pct % is spent idle_days after allocation
--   (沉淀资金, the 6-month mark of the 盘活存量资金 rules): orange with nothing spent, else yellow.
--   A low share counts, not only zero: 1 % spent after 300 days is idle.
WITH f AS (
    SELECT coalesce(region_code, '') AS region_code,
           coalesce(fund_code, fund_name) AS fund_key,
           coalesce(project_code, project_name, '') AS project_key,
           max(fund_name) AS fund_name, max(project_name) AS project_name,
           max(transfer_kind) AS transfer_kind,
           max(CASE WHEN is_direct THEN 1 ELSE 0 END) = 1 AS is_direct,
           max(dept_name) AS dept_name,
           sum(issued_amount) AS issued_amount,
           sum(allocated_amount) AS allocated_amount,
           sum(coalesce(spent_amount, 0)) AS spent_amount,
           min(issued_date) AS issued_date,
           max(allocated_date) AS allocated_date
    FROM special_funds
    WHERE period = $period
    GROUP BY coalesce(region_code, ''), coalesce(fund_code, fund_name), coalesce(project_code, project_name, '')
), d AS (
    SELECT *,
           allocated_date IS NOT NULL AND coalesce(allocated_amount, 0) >= coalesce(issued_amount, 0) AS fully_allocated,
           CASE WHEN coalesce(transfer_kind, '') LIKE '%一般性%' THEN $general_days ELSE $earmarked_days END AS allowed_days,
           CAST((date_part('epoch', $period_end) - date_part('epoch', allocated_date)) / 86400 AS BIGINT) AS days_since_allocation,
           CASE WHEN allocated_amount > 0 THEN 100.0 * CAST(spent_amount AS DOUBLE) / CAST(allocated_amount AS DOUBLE) END AS spent_pct
    FROM f
), flagged AS (
    SELECT *,
           CAST((date_part('epoch', CASE WHEN fully_allocated THEN allocated_date ELSE $period_end END)
                 - date_part('epoch', issued_date)) / 86400 AS BIGINT) AS days_to_allocate
    FROM d
), judged AS (
    SELECT *,
           issued_date IS NOT NULL AND days_to_allocate > allowed_days AS late,
           allocated_amount > 0 AND days_since_allocation > $idle_days AND spent_pct < $min_spent_pct AS idle
    FROM flagged
)
SELECT region_code, fund_key, project_key,
       fund_name || CASE WHEN project_name IS NULL OR project_name = fund_name THEN '' ELSE ' ' || project_name END AS subject,
       dept_name,
       CASE WHEN idle AND spent_amount <= 0 THEN '橙' ELSE '黄' END AS level,
       CASE WHEN idle THEN days_since_allocation ELSE days_to_allocate END AS value,
       CASE WHEN idle THEN $idle_days ELSE allowed_days END AS expected,
       CASE WHEN idle THEN days_since_allocation - $idle_days ELSE days_to_allocate - allowed_days END AS difference,
       CASE WHEN idle THEN '分配后' || CAST(days_since_allocation AS VARCHAR) || '天仅支出' || CAST(round(spent_pct, 1) AS VARCHAR) || '%（应不低于' || CAST($min_spent_pct AS VARCHAR) || '%）'
            ELSE '下达后' || CAST(days_to_allocate AS VARCHAR) || '天' || CASE WHEN fully_allocated THEN '才分配完毕' ELSE '仍未分配完毕' END
                 || '（时限' || CAST(allowed_days AS VARCHAR) || '天）' END AS problem,
       CASE WHEN idle THEN 'only ' || CAST(round(spent_pct, 1) AS VARCHAR) || '% spent ' || CAST(days_since_allocation AS VARCHAR) || ' days after allocation (at least ' || CAST($min_spent_pct AS VARCHAR) || '% expected)'
            ELSE CASE WHEN fully_allocated THEN 'allocated ' ELSE 'still not fully allocated ' END || CAST(days_to_allocate AS VARCHAR) || ' days after issue (limit ' || CAST(allowed_days AS VARCHAR) || ')' END AS problem_en,
       late, idle, transfer_kind, is_direct, issued_amount, allocated_amount, spent_amount, issued_date, allocated_date
FROM judged
WHERE late OR idle
