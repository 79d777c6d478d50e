//! Year-end projection: where a budget, a department, a unit or a special fund will end the
//! year at its pace. The year-to-date figure is divided by the share of the year's spending that
//! earlier years had reached by the same month (the seasonal profile); an entity with no complete
//! earlier year borrows its department's profile, then its region's, then every region's, and
//! failing all, an even pace. The interval is the projection ± z × the root-mean-square error the
//! method made on held-back years (each earlier year projected from the others) of the same kind
//! of entity in the same region, so its width is what the method has actually achieved on this
//! warehouse. The rule `projected_execution` computes the unit case in SQL the same way (a test
//! holds the two to the same figures).

use std::collections::{BTreeMap, HashMap};

use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;
use serde::Serialize;

use crate::error::Result;
use crate::figures::{Money, fetch, split_period};

/// z for a two-sided 90 % band, as the rule's default.
pub const Z: f64 = 1.645;
/// How many earlier years a profile may draw on (as the rule: five).
pub const HISTORY_YEARS: i32 = 5;

/// What a projection is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Grain {
    Region,
    BudgetKind,
    Dept,
    Agency,
    /// A 类 of the functional classification (the first three digits), for PEFA PI-2.1.
    Function,
    SpecialFund,
}

impl Grain {
    pub const ALL: [Grain; 6] = [
        Grain::Region,
        Grain::BudgetKind,
        Grain::Dept,
        Grain::Agency,
        Grain::Function,
        Grain::SpecialFund,
    ];
    pub fn zh(self) -> &'static str {
        match self {
            Grain::Region => "地区",
            Grain::BudgetKind => "预算类型",
            Grain::Dept => "部门",
            Grain::Agency => "预算单位",
            Grain::Function => "功能分类（类）",
            Grain::SpecialFund => "专项资金",
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Grain::Region => "region",
            Grain::BudgetKind => "budget_kind",
            Grain::Dept => "dept",
            Grain::Agency => "agency",
            Grain::Function => "function",
            Grain::SpecialFund => "special_fund",
        }
    }
    pub fn parse(s: &str) -> Option<Grain> {
        Grain::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

/// Whose seasonal profile a projection used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The entity's own earlier years.
    Own,
    /// Its department's (a unit without history).
    Department,
    /// Every special fund of its region together (a fund without history).
    Dataset,
    /// Its region's budget execution.
    Region,
    /// Every region's (a region without history).
    AllRegions,
    /// No history anywhere: spending evenly through the year.
    Even,
}

impl Basis {
    pub fn zh(self) -> &'static str {
        match self {
            Basis::Own => "本级历年",
            Basis::Department => "本部门",
            Basis::Dataset => "同类资金",
            Basis::Region => "本地区",
            Basis::AllRegions => "全部地区",
            Basis::Even => "均衡进度",
        }
    }
}

/// One entity's projection.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Projection {
    pub grain: Grain,
    pub region_code: String,
    pub key: String,
    pub name: String,
    /// The department a unit or fund belongs to (by name), where known.
    pub dept: Option<String>,
    /// The unit's department as the drill-down keys it (its code, else its name).
    pub dept_key: Option<String>,
    /// The latest month of the year with data for the entity (a missing month is skipped).
    pub as_of: String,
    pub original_budget: Money,
    pub budget: Money,
    pub ytd: Money,
    /// Execution so far, % of the budget.
    pub rate_now: Option<f64>,
    /// The year's projected spending.
    pub projected: Money,
    /// Projected year-end execution, % of the budget.
    pub rate: Option<f64>,
    /// The interval from the held-back years (none without two earlier years to test on).
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub basis: Basis,
    /// Earlier years in the profile used.
    pub years: u32,
    /// Projected cumulative execution (%) month by month from `as_of` to December.
    pub path: Vec<(String, f64)>,
}

/// How well the method did on held-back years, for one kind of entity and one month.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Accuracy {
    pub grain: Grain,
    pub month: u32,
    /// Held-back (entity, year) pairs.
    pub n: usize,
    /// Mean absolute error of the projected year-end execution, in percentage points.
    pub mae: f64,
    pub rmse: f64,
    /// The same for the even-pace projection (ytd × 12 / month), the usual yardstick.
    pub mae_even: f64,
}

/// (year, month) → (original budget, budget, year to date), in fen.
type Series = BTreeMap<(i32, u32), (i128, i128, i128)>;

#[derive(Default)]
struct Entity {
    name: String,
    dept: Option<String>,
    dept_key: Option<String>,
    /// The (year, month) the names were taken from: the newest wins.
    named_at: (i32, u32),
    series: Series,
}

/// Every entity of every grain with its monthly series, and the profiles' parents.
struct Book {
    year: i32,
    month: u32,
    /// (grain, region, key) → entity; the grain `Region` with region "" is every region.
    ents: BTreeMap<(Grain, String, String), Entity>,
    all: Series,
    funds_all: BTreeMap<String, Series>,
    /// See [`Book::rmse`].
    rmse: std::cell::RefCell<HashMap<(Grain, String, u32), Option<f64>>>,
}

fn add(s: &mut Series, y: i32, m: u32, v: (i128, i128, i128)) {
    let e = s.entry((y, m)).or_default();
    e.0 += v.0;
    e.1 += v.1;
    e.2 += v.2;
}

/// Share of the year's spending reached by month `m` in each complete earlier year, and how the
/// year ended (% of its final budget), with the year's own figures at `m`.
struct YearShare {
    share: f64,
    /// The year's spending and budget at month `m`, in fen.
    ytd_m: i128,
    budget_m: i128,
    final_rate: f64,
}

fn shares(s: &Series, before: i32, m: u32) -> Vec<YearShare> {
    let mut out = Vec::new();
    for y in before - HISTORY_YEARS..before {
        let (Some(at), Some(end)) = (s.get(&(y, m)), s.get(&(y, 12))) else {
            continue;
        };
        if end.2 <= 0 || end.1 <= 0 {
            continue;
        }
        out.push(YearShare {
            share: at.2 as f64 / end.2 as f64,
            ytd_m: at.2,
            budget_m: at.1,
            final_rate: 100.0 * end.2 as f64 / end.1 as f64,
        });
    }
    out
}

fn mean_share(s: &Series, before: i32, m: u32) -> Option<(f64, u32)> {
    let v = shares(s, before, m);
    (!v.is_empty()).then(|| {
        (
            v.iter().map(|x| x.share).sum::<f64>() / v.len() as f64,
            v.len() as u32,
        )
    })
}

impl Book {
    async fn load(ctx: &SessionContext, period: &str) -> Result<Book> {
        let (year, month) = split_period(period)?;
        let from = format!("{}", year - HISTORY_YEARS);
        let params = [
            ("period", ScalarValue::from(period)),
            ("from", ScalarValue::from(from.as_str())),
        ];
        let rows = fetch(
            ctx,
            "SELECT region_code, budget_kind, coalesce(dept_name, dept_code, '') AS dept, \
             coalesce(agency_code, agency_name, '') AS agency, substr(func_code, 1, 3) AS func, \
             CAST(substr(period, 1, 4) AS BIGINT) AS fy, CAST(substr(period, 6, 2) AS BIGINT) AS mo, \
             sum(initial_budget), sum(adjusted_budget), sum(ytd_amount), \
             max(region_name), max(agency_name), max(coalesce(dept_code, dept_name)) \
             FROM budget_execution WHERE is_detail AND period <= $period AND period >= $from \
             GROUP BY 1, 2, 3, 4, 5, 6, 7",
            &params,
        )
        .await?;
        let mut b = Book {
            year,
            month,
            ents: BTreeMap::new(),
            all: Series::new(),
            funds_all: BTreeMap::new(),
            rmse: Default::default(),
        };
        for r in &rows {
            let region = r[0].text();
            let (y, m) = (r[5].int() as i32, r[6].int() as u32);
            let v = (r[7].money().0, r[8].money().0, r[9].money().0);
            let dept = r[2].text();
            for (grain, key, name) in [
                (Grain::Region, region.clone(), r[10].text()),
                (Grain::BudgetKind, r[1].text(), r[1].text()),
                (Grain::Dept, dept.clone(), dept.clone()),
                (Grain::Agency, r[3].text(), r[11].text()),
                (Grain::Function, r[4].text(), r[4].text()),
            ] {
                let e = b
                    .ents
                    .entry((grain, region.clone(), key.clone()))
                    .or_default();
                add(&mut e.series, y, m, v);
                if e.name.is_empty() || (y, m) >= e.named_at {
                    e.named_at = (y, m);
                    e.name = if name.is_empty() { key.clone() } else { name };
                    if grain == Grain::Agency && !dept.is_empty() {
                        e.dept = Some(dept.clone());
                        e.dept_key = Some(r[12].text()).filter(|k| !k.is_empty());
                    }
                }
            }
            add(&mut b.all, y, m, v);
        }
        if ctx.table_exist("special_funds")? {
            let rows = fetch(
                ctx,
                "SELECT region_code, coalesce(fund_code, fund_name, '') AS fund, \
                 CAST(substr(period, 1, 4) AS BIGINT) AS fy, CAST(substr(period, 6, 2) AS BIGINT) AS mo, \
                 sum(issued_amount), sum(spent_amount), max(fund_name), max(dept_name) \
                 FROM special_funds WHERE period <= $period AND period >= $from GROUP BY 1, 2, 3, 4",
                &params,
            )
            .await?;
            for r in &rows {
                let region = r[0].text();
                let (y, m) = (r[2].int() as i32, r[3].int() as u32);
                let v = (r[4].money().0, r[4].money().0, r[5].money().0);
                let key = r[1].text();
                let e = b
                    .ents
                    .entry((Grain::SpecialFund, region.clone(), key.clone()))
                    .or_default();
                add(&mut e.series, y, m, v);
                e.name = match r[6].text() {
                    n if n.is_empty() => key,
                    n => n,
                };
                let d = r[7].text();
                if !d.is_empty() {
                    e.dept = Some(d);
                }
                add(b.funds_all.entry(region).or_default(), y, m, v);
            }
        }
        Ok(b)
    }

    /// The profile chain of an entity, nearest first: (basis, series).
    fn chain<'a>(&'a self, grain: Grain, region: &str, e: &'a Entity) -> Vec<(Basis, &'a Series)> {
        let mut v = vec![(Basis::Own, &e.series)];
        if grain == Grain::Agency
            && let Some(d) = &e.dept
            && let Some(p) = self.ents.get(&(Grain::Dept, region.into(), d.clone()))
        {
            v.push((Basis::Department, &p.series));
        }
        if grain == Grain::SpecialFund
            && let Some(s) = self.funds_all.get(region)
        {
            v.push((Basis::Dataset, s));
        }
        if grain != Grain::Region
            && let Some(p) = self
                .ents
                .get(&(Grain::Region, region.into(), region.into()))
        {
            v.push((Basis::Region, &p.series));
        }
        v.push((Basis::AllRegions, &self.all));
        v
    }

    /// The month's root-mean-square error of held-back years for a grain in a region: each
    /// entity with two or more complete earlier years, each of them projected from the others.
    /// The month's root-mean-square error of held-back years for a grain in a region (every
    /// entity with two or more complete earlier years, each year projected from the others),
    /// computed once per (grain, region, month) and shared by the region's entities.
    fn rmse(&self, grain: Grain, region: &str, m: u32) -> Option<f64> {
        let key = (grain, region.to_string(), m);
        if let Some(v) = self.rmse.borrow().get(&key) {
            return *v;
        }
        let mut r = Vec::new();
        for ((g, reg, _), e) in self
            .ents
            .range((grain, region.to_string(), String::new())..)
        {
            if *g != grain || reg != region {
                break;
            }
            r.extend(held_back(&e.series, self.year, m).into_iter().map(|x| x.0));
        }
        let v =
            (!r.is_empty()).then(|| (r.iter().map(|x| x * x).sum::<f64>() / r.len() as f64).sqrt());
        self.rmse.borrow_mut().insert(key, v);
        v
    }

    fn project(&self, grain: Grain, region: &str, key: &str, e: &Entity) -> Option<Projection> {
        let as_of = (1..=self.month)
            .rev()
            .find(|m| e.series.contains_key(&(self.year, *m)))?;
        let &(orig, budget, ytd) = e.series.get(&(self.year, as_of))?;
        let chain = self.chain(grain, region, e);
        let found = chain.iter().find_map(|(basis, s)| {
            mean_share(s, self.year, as_of).map(|(sh, n)| (*basis, *s, sh, n))
        });
        let (basis, profile_series, share, years) = match found {
            Some((b, s, sh, n)) if sh > 0.0 => (b, Some(s), sh, n),
            _ => (Basis::Even, None, as_of as f64 / 12.0, 0),
        };
        let projected = (ytd as f64 / share).round() as i128;
        let pct = |x: f64| (budget > 0).then(|| 100.0 * x / budget as f64);
        let rate = pct(projected as f64);
        let rmse = self.rmse(grain, region, as_of);
        let path = (as_of..=12)
            .filter_map(|k| {
                let sh_k = match profile_series {
                    Some(s) => mean_share(s, self.year, k).map(|x| x.0)?,
                    None => k as f64 / 12.0,
                };
                let cum = if k == as_of {
                    ytd as f64
                } else {
                    (projected as f64 * sh_k).max(ytd as f64)
                };
                Some((format!("{}-{k:02}", self.year), pct(cum)?))
            })
            .collect();
        Some(Projection {
            grain,
            region_code: region.to_string(),
            key: key.to_string(),
            name: e.name.clone(),
            dept: e.dept.clone(),
            dept_key: e.dept_key.clone(),
            as_of: format!("{}-{as_of:02}", self.year),
            original_budget: Money(orig),
            budget: Money(budget),
            ytd: Money(ytd),
            rate_now: pct(ytd as f64),
            projected: Money(projected),
            rate,
            low: rate.zip(rmse).map(|(x, e)| x - Z * e),
            high: rate.zip(rmse).map(|(x, e)| x + Z * e),
            basis,
            years,
            path,
        })
    }
}

/// (profile residual, even-pace residual) of each held-back year of one series at month `m`:
/// how the year ended minus what was projected, in percentage points.
fn held_back(s: &Series, year: i32, m: u32) -> Vec<(f64, f64)> {
    let v = shares(s, year, m);
    if v.len() < 2 {
        return vec![];
    }
    let total: f64 = v.iter().map(|x| x.share).sum();
    v.iter()
        .filter_map(|y| {
            let loo = (total - y.share) / (v.len() - 1) as f64;
            let actual = y.final_rate;
            (loo > 0.0 && y.budget_m > 0).then(|| {
                // A ratio of two exact amounts: only the quotient is a float.
                let spent = y.ytd_m as f64 / y.budget_m as f64;
                let p = 100.0 * spent / loo;
                let even = 100.0 * spent * 12.0 / m as f64;
                (actual - p, actual - even)
            })
        })
        .collect()
}

/// Projections of every entity of `grain` with data in the period's year, as of the period.
pub async fn project(ctx: &SessionContext, period: &str, grain: Grain) -> Result<Vec<Projection>> {
    Ok(project_all(ctx, period, &[grain])
        .await?
        .remove(&grain)
        .unwrap_or_default())
}

/// Projections of several grains from one read of the warehouse.
pub async fn project_all(
    ctx: &SessionContext,
    period: &str,
    grains: &[Grain],
) -> Result<HashMap<Grain, Vec<Projection>>> {
    let book = Book::load(ctx, period).await?;
    let mut out: HashMap<Grain, Vec<Projection>> = HashMap::new();
    for ((g, region, key), e) in &book.ents {
        if grains.contains(g)
            && let Some(p) = book.project(*g, region, key, e)
        {
            out.entry(*g).or_default().push(p);
        }
    }
    Ok(out)
}

/// The backtest of the method on every complete year of the warehouse before the period's year:
/// each year held back in turn and projected at each month from the other years.
pub async fn accuracy(
    ctx: &SessionContext,
    period: &str,
    grains: &[Grain],
) -> Result<Vec<Accuracy>> {
    let book = Book::load(ctx, period).await?;
    let mut out = Vec::new();
    for &grain in grains {
        for m in 1..=11 {
            let r: Vec<(f64, f64)> = book
                .ents
                .iter()
                .filter(|((g, ..), _)| *g == grain)
                .flat_map(|(_, e)| held_back(&e.series, book.year, m))
                .collect();
            if r.is_empty() {
                continue;
            }
            let n = r.len() as f64;
            out.push(Accuracy {
                grain,
                month: m,
                n: r.len(),
                mae: r.iter().map(|x| x.0.abs()).sum::<f64>() / n,
                rmse: (r.iter().map(|x| x.0 * x.0).sum::<f64>() / n).sqrt(),
                mae_even: r.iter().map(|x| x.1.abs()).sum::<f64>() / n,
            });
        }
    }
    Ok(out)
}

/// PEFA grade of an aggregate outturn (% of the original budget): A 95–105, B 90–110, C 85–115.
pub fn pi1_grade(outturn: f64) -> char {
    match outturn {
        x if (95.0..=105.0).contains(&x) => 'A',
        x if (90.0..=110.0).contains(&x) => 'B',
        x if (85.0..=115.0).contains(&x) => 'C',
        _ => 'D',
    }
}

/// PEFA PI-2.1 grade of a composition variance (%): A < 5, B < 10, C < 15.
pub fn pi2_grade(variance: f64) -> char {
    match variance {
        x if x < 5.0 => 'A',
        x if x < 10.0 => 'B',
        x if x < 15.0 => 'C',
        _ => 'D',
    }
}

/// The PEFA scores the projected year would get, per region.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PefaOutlook {
    pub region_code: String,
    /// PI-1: projected outturn over the original budget, %.
    pub pi1_outturn: Option<f64>,
    pub pi1_grade: Option<char>,
    /// PI-2.1: composition variance by function 类 (contingency 227 and interest 232/233 out), %.
    pub pi2_variance: Option<f64>,
    pub pi2_grade: Option<char>,
}

/// PI-1 and PI-2.1 on projected year-end figures, from the region and function projections.
pub fn pefa_outlook(regions: &[Projection], functions: &[Projection]) -> Vec<PefaOutlook> {
    regions
        .iter()
        .map(|r| {
            let orig = r.original_budget.0 as f64;
            let pi1 = (orig > 0.0).then(|| 100.0 * r.projected.0 as f64 / orig);
            let f: Vec<&Projection> = functions
                .iter()
                .filter(|f| {
                    f.region_code == r.region_code
                        && !["227", "232", "233"].contains(&f.key.as_str())
                })
                .collect();
            let (actual, original): (f64, f64) = f.iter().fold((0.0, 0.0), |a, p| {
                (a.0 + p.projected.0 as f64, a.1 + p.original_budget.0 as f64)
            });
            let pi2 = (actual > 0.0 && original > 0.0).then(|| {
                let scale = actual / original;
                100.0
                    * f.iter()
                        .map(|p| (p.projected.0 as f64 - p.original_budget.0 as f64 * scale).abs())
                        .sum::<f64>()
                    / actual
            });
            PefaOutlook {
                region_code: r.region_code.clone(),
                pi1_outturn: pi1,
                pi1_grade: pi1.map(pi1_grade),
                pi2_variance: pi2,
                pi2_grade: pi2.map(pi2_grade),
            }
        })
        .collect()
}

/// Every grain's projections for a period, with the PEFA outlook: what the cockpit, the
/// drill-down and the report show.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Outlook {
    pub period: String,
    pub projections: Vec<Projection>,
    pub pefa: Vec<PefaOutlook>,
}

impl Outlook {
    pub async fn of(ctx: &SessionContext, period: &str) -> Result<Outlook> {
        let mut all = project_all(ctx, period, &Grain::ALL).await?;
        let regions = all.remove(&Grain::Region).unwrap_or_default();
        let functions = all.remove(&Grain::Function).unwrap_or_default();
        let pefa = pefa_outlook(&regions, &functions);
        let mut projections = regions;
        projections.extend(functions);
        for g in Grain::ALL {
            projections.extend(all.remove(&g).unwrap_or_default());
        }
        Ok(Outlook {
            period: period.to_string(),
            projections,
            pefa,
        })
    }

    /// One grain's projections.
    pub fn of_grain(&self, grain: Grain) -> impl Iterator<Item = &Projection> {
        self.projections.iter().filter(move |p| p.grain == grain)
    }

    /// The projection of one entity: a region by code, a department by name, a unit by code
    /// (or name where it has none), a budget kind, a function 类 or a fund by code.
    pub fn find(&self, grain: Grain, region: &str, key: &str) -> Option<&Projection> {
        self.of_grain(grain)
            .find(|p| p.region_code == region && p.key == key)
    }

    /// Units projected below `pct` (lowest first).
    pub fn units_below(&self, pct: f64) -> Vec<&Projection> {
        let mut v: Vec<&Projection> = self
            .of_grain(Grain::Agency)
            .filter(|p| p.rate.is_some_and(|r| r < pct))
            .collect();
        v.sort_by(|a, b| a.rate.unwrap_or(0.0).total_cmp(&b.rate.unwrap_or(0.0)));
        v
    }
}
