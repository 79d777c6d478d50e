-- id: bond_offlist
-- title: 专项债券资金用于清单外项目 | Bond money on a project off the bond's list
-- category: 合规
-- focus: debt
-- budgets: fund
-- stake: annual_plan
-- datasets: projects, bonds
-- cadence: standing
-- finding: state
-- basis: balance
-- severity: 红
-- key: region_code, project_key
-- message: {subject}资金来源为专项债券，但不在本地区任何一期专项债券的项目清单中（{lists_zh}，项目台账截至{data_period}） | {subject} is funded by special bonds but is on no bond's project list of the region ({lists_en}, project ledger as of {data_period})
-- description: Special bond proceeds are for the projects each bond lists (发行时确定的项目清单),
--   changed only by an approved 调整; a project whose ledger names 专项债 as its funding and that
--   no bond of the region lists, by project code or by its exact name, is using bond money off
--   the list. Each region's latest project ledger up to the period stands, read against every
--   bond ledger of the region up to the period (cadence: standing: a bond issued in an earlier
--   year keeps its list).
WITH pl AS (
    SELECT coalesce(region_code, '') AS region_code, max(period) AS data_period
    FROM projects WHERE period <= $period GROUP BY coalesce(region_code, '')
), p AS (
    SELECT pl.region_code, pl.data_period,
           coalesce(p.project_code, p.project_name) AS project_key,
           max(p.project_code) AS project_code, max(p.project_name) AS project_name,
           max(p.dept_name) AS dept_name, max(p.fund_source) AS fund_source, sum(p.annual_plan) AS annual_plan
    FROM projects p JOIN pl ON coalesce(p.region_code, '') = pl.region_code AND p.period = pl.data_period
    WHERE p.fund_source LIKE '%专项债%'
    GROUP BY pl.region_code, pl.data_period, coalesce(p.project_code, p.project_name)
), b AS (
    SELECT coalesce(region_code, '') AS region_code, project_code, project_name, period
    FROM bonds WHERE period <= $period
), bl AS (
    SELECT region_code, max(period) AS bonds_period FROM b GROUP BY region_code
), listed AS (
    SELECT DISTINCT p.region_code, p.project_key
    FROM p JOIN b ON p.region_code = b.region_code
     AND (p.project_code = b.project_code OR p.project_name = b.project_name)
)
SELECT p.region_code, p.project_key,
       coalesce(p.project_name, p.project_key) AS subject,
       p.project_code, p.dept_name, p.fund_source, p.annual_plan, p.data_period,
       bl.bonds_period,
       CASE WHEN bl.bonds_period IS NULL THEN '本地区尚无专项债券台账' ELSE '项目清单截至' || bl.bonds_period END AS lists_zh,
       CASE WHEN bl.bonds_period IS NULL THEN 'no bond ledger of the region yet' ELSE 'bond lists to ' || bl.bonds_period END AS lists_en
FROM p
LEFT JOIN listed ON p.region_code = listed.region_code AND p.project_key = listed.project_key
LEFT JOIN bl ON p.region_code = bl.region_code
WHERE listed.project_key IS NULL
