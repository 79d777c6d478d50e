-- id: bond_revenue_cover
-- title: 专项债券项目收益不足以覆盖本息 | Bond project's own revenue short of its debt service
-- category: 流量
-- focus: debt
-- budgets: fund
-- stake: amount
-- datasets: bonds
-- cadence: quarter
-- finding: state
-- basis: balance
-- severity: level
-- params: min_cover = 1.1, red_cover = 1.0
-- key: region_code, bond_code, project_key
-- message: {subject}预期收益{expected_revenue}，覆盖债券本息{debt_service}的{value}倍，低于{expected}倍 | {subject}: expected revenue of {expected_revenue} covers the bond's principal and interest of {debt_service} {value} times, under {expected}
-- description: 专项债券 are for projects whose own revenue (项目收益: fees, rents, land sales of the
--   project) repays them: 收益与融资自求平衡. Per region × bond × project, the project's expected
--   revenue over the bond's life (项目预期收益, from its 实施方案) over the principal and simple
--   interest it owes (发行金额 × (1 + 票面利率 × 期限)). Under min_cover (1.1 times, the coverage
--   the 实施方案 are held to) yellow; under red_cover (1.0: the revenue does not repay the bond)
--   red. Rows without an expected revenue, a rate or a term are not judged. Each region's latest
--   bond ledger of the last three months stands.
WITH latest AS (
    SELECT coalesce(region_code, '') AS region_code, max(period) AS data_period
    FROM bonds
    WHERE period >= $since AND period <= $period
    GROUP BY coalesce(region_code, '')
), b AS (
    SELECT latest.region_code, latest.data_period, bonds.bond_code,
           coalesce(bonds.project_code, bonds.project_name, '') AS project_key,
           max(bonds.bond_name) AS bond_name, max(bonds.project_name) AS project_name,
           sum(bonds.amount) AS amount, sum(bonds.expected_revenue) AS expected_revenue,
           max(bonds.rate) AS rate, max(bonds.term_years) AS term_years
    FROM bonds JOIN latest ON coalesce(bonds.region_code, '') = latest.region_code AND bonds.period = latest.data_period
    WHERE bonds.expected_revenue IS NOT NULL AND bonds.rate IS NOT NULL AND bonds.term_years IS NOT NULL
    GROUP BY latest.region_code, latest.data_period, bonds.bond_code, coalesce(bonds.project_code, bonds.project_name, '')
), c AS (
    SELECT *,
           CAST(amount * (1 + rate * term_years / 100) AS DECIMAL(20, 2)) AS debt_service,
           CAST(expected_revenue AS DOUBLE) / (CAST(amount AS DOUBLE) * (1.0 + CAST(rate AS DOUBLE) * CAST(term_years AS DOUBLE) / 100.0)) AS cover
    FROM b WHERE amount > 0
)
SELECT region_code, bond_code, project_key,
       coalesce(project_name, bond_name) AS subject,
       bond_name,
       CASE WHEN cover < $red_cover THEN '红' ELSE '黄' END AS level,
       round(cover, CASE WHEN round(cover, 2) = $min_cover OR round(cover, 2) = $red_cover THEN 4 ELSE 2 END) AS value,
       CASE WHEN cover < $red_cover THEN $red_cover ELSE $min_cover END AS expected,
       round(cover - CASE WHEN cover < $red_cover THEN $red_cover ELSE $min_cover END, CASE WHEN round(cover, 2) = $min_cover OR round(cover, 2) = $red_cover THEN 4 ELSE 2 END) AS difference,
       expected_revenue, debt_service, amount, rate, term_years, data_period
FROM c
WHERE cover < $min_cover
