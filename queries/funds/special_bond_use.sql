-- id: special_bond_use
-- title: 专项债券资金使用进度滞后 | Special bond proceeds used behind schedule
-- category: 流速
-- datasets: bonds
-- severity: level
-- params: window_months = 6, yellow_pp = 10, red_pp = 30
-- key: bond_code, project_name
-- message: {subject}已使用{value}%，按{window}个月使用期应达{expected}% | {subject}: {value}% used, {expected}% expected on a {window}-month schedule
-- description: Bond proceeds are to be used within window_months of issue, evenly: after k months
--   k / window_months of the amount should be used.
WITH b AS (
    SELECT bond_code, bond_name, project_name, dept_name, amount, used_amount, issue_date,
           ($year - CAST(date_part('year', issue_date) AS BIGINT)) * 12 + $month - CAST(date_part('month', issue_date) AS BIGINT) AS months,
           100.0 * CAST(used_amount AS DOUBLE) / CAST(amount AS DOUBLE) AS used_pct
    FROM bonds
    WHERE period = $period AND amount > 0
), e AS (
    SELECT *, 100.0 * least(CAST(months AS DOUBLE) / $window_months, 1.0) AS expected_pct FROM b
)
SELECT bond_code || '|' || coalesce(project_name, '') AS alert_key,
       coalesce(project_name, bond_name) AS subject,
       dept_name, bond_code, bond_name,
       CASE WHEN expected_pct - used_pct > $red_pp THEN '红' ELSE '黄' END AS level,
       round(used_pct, 1) AS value,
       round(expected_pct, 1) AS expected,
       round(expected_pct - used_pct, 1) AS difference,
       $window_months AS window,
       amount, used_amount, issue_date
FROM e
WHERE expected_pct - used_pct >= $yellow_pp
