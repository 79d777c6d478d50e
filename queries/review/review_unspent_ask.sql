-- id: review_unspent_ask
-- title: 上年执行率低仍足额申请 | Project asks as much again after leaving last year's money unspent
-- category: 流速
-- focus: key_spending
-- budgets: general
-- stake: amount
-- datasets: draft_budget
-- cadence: year
-- finding: state
-- basis: annual
-- severity: level
-- params: max_rate_pct = 50, red_rate_pct = 30
-- key: region_code, project_key
-- message: {subject}{project_name}上年预算{prior_budget}仅执行{prior_outturn}（{value}%），本年仍申请{amount} | {subject}, {project_name}: {prior_outturn} spent of last year's {prior_budget} ({value}%), yet {amount} asked this year
-- description: 预算草案初步审查: a project whose funds went largely unspent last year should not
--   receive as much again (以前年度执行差的项目压减安排). Per region × project of the draft budget,
--   last year's execution (上年执行数) over last year's budget (上年预算数) under max_rate_pct %,
--   with the draft asking at least last year's budget: yellow; under red_rate_pct % red. Rows
--   without a project (basic spending) and projects new this year (no budget last year) are not
--   judged. Runs on the draft of the period's year (cadence: year).
WITH p AS (
    SELECT coalesce(region_code, '') AS region_code,
           coalesce(project_code, project_name) AS project_key,
           max(project_name) AS project_name, max(agency_name) AS agency_name, max(dept_name) AS dept_name,
           max(agency_code) AS agency_code,
           sum(amount) AS amount, sum(prior_budget) AS prior_budget, sum(prior_outturn) AS prior_outturn
    FROM draft_budget
    WHERE period = substr($period, 1, 4) AND coalesce(project_code, project_name) IS NOT NULL
    GROUP BY coalesce(region_code, ''), coalesce(project_code, project_name)
), r AS (
    SELECT *, 100.0 * CAST(prior_outturn AS DOUBLE) / CAST(prior_budget AS DOUBLE) AS rate
    FROM p WHERE prior_budget > 0 AND prior_outturn IS NOT NULL AND amount >= prior_budget
)
SELECT region_code, project_key,
       coalesce(agency_name, dept_name, project_key) AS subject,
       dept_name, agency_code, project_name,
       CASE WHEN rate < $red_rate_pct THEN '红' ELSE '黄' END AS level,
       round(rate, CASE WHEN round(rate, 1) <> $max_rate_pct AND round(rate, 1) <> $red_rate_pct THEN 1 WHEN round(rate, 2) <> $max_rate_pct AND round(rate, 2) <> $red_rate_pct THEN 2 ELSE 4 END) AS value,
       CASE WHEN rate < $red_rate_pct THEN $red_rate_pct ELSE $max_rate_pct END AS expected,
       round(rate - CASE WHEN rate < $red_rate_pct THEN $red_rate_pct ELSE $max_rate_pct END, CASE WHEN round(rate, 1) <> $max_rate_pct AND round(rate, 1) <> $red_rate_pct THEN 1 WHEN round(rate, 2) <> $max_rate_pct AND round(rate, 2) <> $red_rate_pct THEN 2 ELSE 4 END) AS difference,
       amount, prior_budget, prior_outturn
FROM r
WHERE rate < $max_rate_pct
