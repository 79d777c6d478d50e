-- id: review_duplicate_project
-- title: 疑似重复申报项目 | Project applied for twice
-- category: 合规
-- focus: department
-- budgets: general
-- stake: amount
-- datasets: draft_budget
-- cadence: year
-- finding: state
-- basis: annual
-- severity: 橙
-- params: max_distance_pct = 20, min_chars = 4, max_share = 20
-- key: region_code, project_a, project_b
-- message: {name_a}（{unit_a}，{amount_a}）与{name_b}（{unit_b}，{amount_b}）{why} | {name_a} ({unit_a}, {amount_a}) and {name_b} ({unit_b}, {amount_b}): {why_en}
-- description: The same project asked for twice — under two departments, or twice by one unit
--   — compared by what it is, not only by code (广州's AI pre-review found such pairs every year).
--   Within a region's draft, two projects (different codes) of the same 功能分类款, under two
--   departments or of one unit, are a pair when their names, with 项目 and white space removed,
--   are equal or within max_distance_pct % of the longer name by edit distance (levenshtein), or
--   their contents (项目内容) are the same text. Two units of one department each asking for
--   their own 校舍维修 are not a pair: each school's repairs are its own.
--   Names that differ only in their digits (一期 / 二期 written 1 / 2, 专项1 / 专项2) are different
--   projects; names shorter than min_chars are not compared. Each pair is one finding.
--   Only candidates are compared, so a province's draft (a hundred thousand projects) costs
--   seconds, not a comparison of every pair: two projects sharing a four-character piece of their
--   names that at most max_share projects of the region share (城市智慧停车… and 智慧停车…
--   share 智慧停车; the 本级 or 专项 every project of a department carries says nothing), or
--   the same content held by at most max_share projects.
WITH p AS (
    SELECT coalesce(region_code, '') AS region_code,
           coalesce(project_code, project_name) AS project_key,
           max(project_name) AS project_name,
           max(coalesce(agency_name, dept_name, '')) AS unit,
           max(content) AS content,
           max(substr(func_code, 1, 5)) AS func_item,
           max(dept_name) AS dept_name,
           sum(amount) AS amount
    FROM draft_budget
    WHERE period = substr($period, 1, 4) AND project_name IS NOT NULL
    GROUP BY coalesce(region_code, ''), coalesce(project_code, project_name)
), n AS (
    SELECT *, replace(replace(project_name, '项目', ''), ' ', '') AS nm
    FROM p
), grams AS (
    SELECT region_code, project_key, substr(nm, i, 4) AS gram
    FROM (SELECT region_code, project_key, nm, unnest(generate_series(1, character_length(nm) - 3)) AS i
          FROM n WHERE character_length(nm) >= greatest($min_chars, 4)) AS x
), rare AS (
    SELECT region_code, gram FROM grams GROUP BY region_code, gram
    HAVING count(DISTINCT project_key) BETWEEN 2 AND $max_share
), texts AS (
    SELECT region_code, content FROM n WHERE content IS NOT NULL AND content <> ''
    GROUP BY region_code, content HAVING count(*) BETWEEN 2 AND $max_share
), candidates AS (
    SELECT DISTINCT a.region_code, a.project_key AS ka, b.project_key AS kb
    FROM grams a
    JOIN rare r ON r.region_code = a.region_code AND r.gram = a.gram
    JOIN grams b ON b.region_code = a.region_code AND b.gram = a.gram AND a.project_key < b.project_key
    UNION
    SELECT a.region_code, a.project_key AS ka, b.project_key AS kb
    FROM n a
    JOIN texts t ON t.region_code = a.region_code AND t.content = a.content
    JOIN n b ON b.region_code = a.region_code AND b.content = a.content AND a.project_key < b.project_key
), pairs AS (
    SELECT a.region_code, a.project_key AS project_a, b.project_key AS project_b,
           a.project_name AS name_a, b.project_name AS name_b, a.unit AS unit_a, b.unit AS unit_b,
           a.amount AS amount_a, b.amount AS amount_b, a.dept_name,
           coalesce(a.dept_name, '') <> coalesce(b.dept_name, '') OR a.unit = b.unit AS twice,
           a.nm = b.nm AS same_name,
           levenshtein(a.nm, b.nm) AS distance,
           greatest(character_length(a.nm), character_length(b.nm)) AS longer,
           a.content IS NOT NULL AND a.content <> '' AND a.content = b.content AS same_content,
           translate(a.nm, '0123456789', '') = translate(b.nm, '0123456789', '') AND a.nm <> b.nm AS digits_only
    FROM candidates c
    JOIN n a ON a.region_code = c.region_code AND a.project_key = c.ka
    JOIN n b ON b.region_code = c.region_code AND b.project_key = c.kb
    WHERE a.func_item = b.func_item
)
SELECT region_code, project_a, project_b,
       name_a AS subject, dept_name,
       name_a, name_b, unit_a, unit_b, amount_a, amount_b,
       amount_a + amount_b AS amount,
       distance AS value,
       CASE WHEN same_content THEN '项目内容相同，疑似重复申报' WHEN same_name THEN '名称相同，疑似重复申报' ELSE '名称相近，疑似重复申报' END AS why,
       CASE WHEN same_content THEN 'the same content: possibly applied for twice' WHEN same_name THEN 'the same name: possibly applied for twice' ELSE 'near-identical names: possibly applied for twice' END AS why_en
FROM pairs
WHERE twice
  AND (same_content OR (NOT digits_only AND longer >= $min_chars AND distance * 100 <= $max_distance_pct * longer))
