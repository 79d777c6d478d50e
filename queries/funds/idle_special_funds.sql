-- id: idle_special_funds
-- title: 专项资金分配迟缓或沉淀 | Special funds passed on late or left idle
-- category: 流速
-- focus: transfers
-- budgets: general
-- stake: issued_amount
-- datasets: special_funds
-- cadence: month
-- finding: state
-- basis: balance
-- severity: level
-- params: general_days = 30, earmarked_days = 60, passed_on_days = 30, idle_days = 180, min_spent_pct = 30
-- key: region_code, fund_key, project_key
-- message: {subject}：{problem} | {subject}: {problem_en}
-- description: Two failures, per region × fund × project (a fund spread over several projects is
--   judged project by project):
--   LATE. 《预算法》 §52 (2014) and its 实施条例 set how fast transfers are passed on: county level
--   and above issue their own general transfers (一般性转移支付) within 30 days and special
--   transfers within 60 days of their congress's approval; transfers received from above (资金来源
--   or 资金类别 naming 中央 or 上级) are passed on within 30 days of receipt (passed_on_days),
--   whatever their kind. Days count from the day the funds reached this government (下达日期);
--   every fund is held to them, direct (直达) or not. A fund not yet fully allocated is counted
--   to the period's end.
--   IDLE. Money allocated more than idle_days ago of which less than min_spent_pct % is spent
--   (沉淀资金, the 6-month mark of the 盘活存量资金 rules): orange with nothing spent, else yellow.
--   Spending is taken first from the oldest money, so a small tranche allocated late never resets
--   the clock of the money before it: the old money is what the extract's rows dated before the
--   mark add up to, or, where an extract keeps one row per fund with its latest date, what an
--   earlier extract had allocated by then. Spending is 支出金额; an extract that reports only 拨付
--   is judged on 拨付 and says so; one that reports neither is not judged idle (never read as
--   nothing spent). A low share counts, not only zero: 1 % spent after 300 days is idle.
WITH rows_now AS (
    SELECT coalesce(region_code, '') AS region_code,
           coalesce(fund_code, fund_name) AS fund_key,
           coalesce(project_code, project_name, '') AS project_key,
           fund_name, project_name, transfer_kind, fund_source, is_direct, dept_name,
           issued_amount, allocated_amount, spent_amount, disbursed_amount, issued_date, allocated_date,
           CAST((date_part('epoch', $period_end) - date_part('epoch', allocated_date)) / 86400 AS BIGINT) AS age
    FROM special_funds
    WHERE period = $period
), f AS (
    SELECT region_code, fund_key, project_key,
           max(fund_name) AS fund_name, max(project_name) AS project_name,
           max(transfer_kind) AS transfer_kind, max(fund_source) AS fund_source,
           max(CASE WHEN is_direct THEN 1 ELSE 0 END) = 1 AS is_direct,
           max(dept_name) AS dept_name,
           sum(issued_amount) AS issued_amount,
           sum(allocated_amount) AS allocated_amount,
           sum(spent_amount) AS spent_amount,
           sum(disbursed_amount) AS disbursed_amount,
           min(issued_date) AS issued_date,
           max(allocated_date) AS allocated_date,
           max(age) AS oldest_age,
           sum(CASE WHEN age > $idle_days THEN allocated_amount END) AS old_here
    FROM rows_now
    GROUP BY region_code, fund_key, project_key
), earlier AS (
    -- Each earlier extract: what it had allocated, and the latest date it gives for that.
    SELECT coalesce(region_code, '') AS region_code,
           coalesce(fund_code, fund_name) AS fund_key,
           coalesce(project_code, project_name, '') AS project_key,
           sum(allocated_amount) AS allocated_then,
           CAST((date_part('epoch', $period_end) - date_part('epoch', max(allocated_date))) / 86400 AS BIGINT) AS latest_age,
           CAST((date_part('epoch', $period_end) - date_part('epoch', min(allocated_date))) / 86400 AS BIGINT) AS oldest_age
    FROM special_funds
    WHERE period < $period AND allocated_date IS NOT NULL
    GROUP BY coalesce(region_code, ''), coalesce(fund_code, fund_name), coalesce(project_code, project_name, ''), period
), past AS (
    SELECT region_code, fund_key, project_key,
           max(CASE WHEN latest_age > $idle_days THEN allocated_then END) AS old_past,
           max(oldest_age) AS oldest_age
    FROM earlier
    GROUP BY region_code, fund_key, project_key
), d AS (
    SELECT f.*,
           f.allocated_date IS NOT NULL AND coalesce(f.allocated_amount, 0) >= coalesce(f.issued_amount, 0) AS fully_allocated,
           coalesce(f.fund_source, '') LIKE '%中央%' OR coalesce(f.fund_source, '') LIKE '%上级%'
               OR coalesce(f.transfer_kind, '') LIKE '%中央%' OR coalesce(f.transfer_kind, '') LIKE '%上级%' AS passed_on,
           CASE WHEN coalesce(f.fund_source, '') LIKE '%中央%' OR coalesce(f.fund_source, '') LIKE '%上级%'
                     OR coalesce(f.transfer_kind, '') LIKE '%中央%' OR coalesce(f.transfer_kind, '') LIKE '%上级%' THEN $passed_on_days
                WHEN coalesce(f.transfer_kind, '') LIKE '%一般性%' THEN $general_days
                ELSE $earmarked_days END AS allowed_days,
           CASE WHEN coalesce(past.oldest_age, -1) > coalesce(f.oldest_age, -1) THEN past.oldest_age ELSE f.oldest_age END AS days_since_allocation,
           -- The money allocated before the mark (never more than is allocated now).
           CASE WHEN coalesce(past.old_past, 0) > coalesce(f.old_here, 0) THEN past.old_past ELSE f.old_here END AS old_allocated,
           coalesce(f.spent_amount, f.disbursed_amount) AS used_amount,
           f.spent_amount IS NULL AS by_disbursement
    FROM f LEFT JOIN past
      ON past.region_code = f.region_code AND past.fund_key = f.fund_key AND past.project_key = f.project_key
), shares AS (
    SELECT *,
           CASE WHEN old_allocated > 0 THEN 100.0 * CAST(used_amount AS DOUBLE)
                / CAST(CASE WHEN old_allocated > allocated_amount THEN allocated_amount ELSE old_allocated END AS DOUBLE) END AS spent_pct,
           CAST((date_part('epoch', CASE WHEN fully_allocated THEN allocated_date ELSE $period_end END)
                 - date_part('epoch', issued_date)) / 86400 AS BIGINT) AS days_to_allocate
    FROM d
), judged AS (
    SELECT *,
           issued_date IS NOT NULL AND days_to_allocate > allowed_days AS late,
           old_allocated > 0 AND allocated_amount > 0 AND used_amount IS NOT NULL AND spent_pct < $min_spent_pct AS idle,
           CASE WHEN by_disbursement THEN '拨付' ELSE '支出' END AS used_zh,
           CASE WHEN by_disbursement THEN 'disbursed' ELSE 'spent' END AS used_en,
           old_allocated < allocated_amount AS partly_old
    FROM shares
)
SELECT region_code, fund_key, project_key,
       fund_name || CASE WHEN project_name IS NULL OR project_name = fund_name THEN '' ELSE ' ' || project_name END AS subject,
       dept_name,
       CASE WHEN idle AND used_amount <= 0 THEN '橙' ELSE '黄' END AS level,
       CASE WHEN idle THEN days_since_allocation ELSE days_to_allocate END AS value,
       CASE WHEN idle THEN $idle_days ELSE allowed_days END AS expected,
       CASE WHEN idle THEN days_since_allocation - $idle_days ELSE days_to_allocate - allowed_days END AS difference,
       CASE WHEN idle THEN '分配后' || CAST(days_since_allocation AS VARCHAR) || '天仅' || used_zh
                 || CASE WHEN partly_old THEN '分配满' || CAST($idle_days AS VARCHAR) || '天部分的' ELSE '' END
                 || CAST(round(spent_pct, 1) AS VARCHAR) || '%（应不低于' || CAST($min_spent_pct AS VARCHAR) || '%）'
            ELSE '下达后' || CAST(days_to_allocate AS VARCHAR) || '天' || CASE WHEN fully_allocated THEN '才分配完毕' ELSE '仍未分配完毕' END
                 || CASE WHEN passed_on THEN '（上级资金转下达时限' ELSE '（时限' END || CAST(allowed_days AS VARCHAR) || '天）' END AS problem,
       CASE WHEN idle THEN 'only ' || CAST(round(spent_pct, 1) AS VARCHAR) || '% ' || used_en
                 || CASE WHEN partly_old THEN ' of the money allocated over ' || CAST($idle_days AS VARCHAR) || ' days ago' ELSE '' END
                 || ' ' || CAST(days_since_allocation AS VARCHAR) || ' days after allocation (at least ' || CAST($min_spent_pct AS VARCHAR) || '% expected)'
            ELSE CASE WHEN fully_allocated THEN 'allocated ' ELSE 'still not fully allocated ' END || CAST(days_to_allocate AS VARCHAR) || ' days after issue (limit '
                 || CAST(allowed_days AS VARCHAR) || CASE WHEN passed_on THEN ' for funds passed on from above' ELSE '' END || ')' END AS problem_en,
       late, idle, transfer_kind, fund_source, is_direct, issued_amount, allocated_amount, old_allocated, used_amount, spent_amount, disbursed_amount, issued_date, allocated_date
FROM judged
WHERE late OR idle
