-- id: publication_late
-- title: 预决算公开不及时或不完整 | Budget or final accounts published late or incomplete
-- category: 合规
-- focus: department
-- budgets: general, fund, state_capital, social_insurance
-- datasets: publications
-- cadence: year
-- finding: state
-- basis: annual
-- severity: level
-- params: limit_days = 20
-- key: region_code, doc_key
-- message: {subject}{doc_kind}：{problem} | {subject}, {doc_kind}: {problem_en}
-- description: 预算法 §14: budgets, adjustments, final accounts and execution reports approved by the
--   congress are published by the finance department within 20 days of approval (limit_days);
--   department budgets and final accounts within 20 days of the finance department's 批复, with
--   the tables the Ministry prescribes and 三公经费 explained. Per region × document (its kind and
--   publisher) of the period's year: published late (yellow), not yet published past the
--   deadline at the period's end (red), fewer tables than prescribed (yellow), a department's
--   document without the 三公 explanation (yellow); the problems found are listed together.
WITH d AS (
    SELECT coalesce(region_code, '') AS region_code, max(region_name) AS region_name,
           doc_kind || coalesce('·' || dept_name, '') AS doc_key, max(doc_kind) AS doc_kind, max(dept_name) AS dept_name,
           min(approved_date) AS approved_date,
           -- Published after the period's end is not yet published as of the period.
           min(CASE WHEN published_date <= CAST($period_end AS DATE) THEN published_date END) AS published_date,
           max(tables_required) AS tables_required, max(tables_published) AS tables_published,
           bool_and(coalesce(sangong_explained, true)) AS sangong_explained
    FROM publications
    WHERE period = substr($period, 1, 4) AND approved_date IS NOT NULL AND approved_date <= CAST($period_end AS DATE)
    GROUP BY coalesce(region_code, ''), doc_kind || coalesce('·' || dept_name, '')
), x AS (
    SELECT *,
           CAST((date_part('epoch', coalesce(published_date, CAST($period_end AS DATE))) - date_part('epoch', approved_date)) / 86400 AS BIGINT) AS days,
           published_date IS NULL AS pending
    FROM d
), p AS (
    SELECT *,
           days > $limit_days AS late,
           coalesce(tables_published < tables_required, false) AS short,
           dept_name IS NOT NULL AND NOT sangong_explained AS no_sangong
    FROM x
)
SELECT region_code, doc_key,
       coalesce(dept_name, region_name, region_code) AS subject, dept_name, doc_kind,
       CASE WHEN late AND pending THEN '红' ELSE '黄' END AS level,
       days AS value, $limit_days AS expected, days - $limit_days AS difference,
       CAST(approved_date AS VARCHAR) AS approved_on, CAST(published_date AS VARCHAR) AS published_on,
       tables_required, tables_published,
       concat_ws('；',
           CASE WHEN late AND pending THEN '批准' || CAST(days AS VARCHAR) || '天后仍未公开（应在' || CAST($limit_days AS VARCHAR) || '天内）'
                WHEN late THEN '批准后第' || CAST(days AS VARCHAR) || '天才公开（应在' || CAST($limit_days AS VARCHAR) || '天内）' END,
           CASE WHEN short THEN '公开表格' || CAST(tables_published AS VARCHAR) || '张，少于规定的' || CAST(tables_required AS VARCHAR) || '张' END,
           CASE WHEN no_sangong THEN '未说明三公经费' END) AS problem,
       concat_ws('; ',
           CASE WHEN late AND pending THEN 'not published ' || CAST(days AS VARCHAR) || ' days after approval'
                WHEN late THEN 'published on day ' || CAST(days AS VARCHAR) || ' after approval' END,
           CASE WHEN short THEN CAST(tables_published AS VARCHAR) || ' of the ' || CAST(tables_required AS VARCHAR) || ' prescribed tables' END,
           CASE WHEN no_sangong THEN '三公 not explained' END) AS problem_en
FROM p
WHERE late OR short OR no_sangong
