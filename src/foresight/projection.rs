//! Year-end projection: where a budget, a department, a unit or a special fund will end the
//! year at its pace. The year-to-date figure is divided by the share of the year's spending that
//! earlier years had reached by the same month (the seasonal profile); an entity with no complete
//! earlier year borrows its department's profile, then its region's, then every region's, and
//! failing all, an even pace. The interval is calibrated on held-back years: every earlier year
//! of the same kind of entity in the same region (up to [`CALIBRATION_YEARS`] back) is projected
//! as the method would have projected it then, from its own earlier years, and the band's
//! half-width is the error that [`COVERAGE`] % of those years stayed within (the conformal rank
//! ⌈(n + 1) × 0.9⌉ of the absolute errors; with fewer than nine years, the widest error seen).
//! No normal curve is assumed: revenue and spending years have shocks (2018's tax cuts, 2022's
//! VAT refunds) that a ± z × RMSE band left outside in a third of the years. The rule
//! `projected_execution` computes the unit case in SQL the same way (a test holds the two to
//! the same figures).

use std::collections::{BTreeMap, HashMap};

use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;
use serde::Serialize;

use crate::common::Money;
use crate::common::Period;
use crate::error::Result;
use crate::figures::fetch;

/// The share of held-back years a band is to hold, % (the rule's `coverage = 90`).
pub const COVERAGE: usize = 90;
/// How many earlier years a profile may draw on (as the rule: five).
pub const HISTORY_YEARS: i32 = 5;
/// How many earlier years the band is calibrated on (as the rule: ten).
pub const CALIBRATION_YEARS: i32 = 10;

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

/// How well the method did on held-back years, for one kind of entity and one month: each
/// earlier year projected as the method would have projected it then (from its own earlier
/// years), beside the simple baselines, and how often its band held the truth.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Accuracy {
    pub grain: Grain,
    pub month: u32,
    /// Held-back (entity, year) pairs.
    pub n: usize,
    /// Mean absolute error of the projected year-end execution, in percentage points. The
    /// method is the mean share of up to five earlier years.
    pub mae: f64,
    pub rmse: f64,
    /// The even-pace projection (ytd × 12 / month), the usual yardstick.
    pub mae_even: f64,
    /// Last year's share alone.
    pub mae_last_year: f64,
    /// Held-back years whose outcome fell inside the band calibrated on the other years, %.
    pub coverage: f64,
    /// The same with the band calibrated only on the years before each (as it would have been
    /// live), over the years that had any before them, %.
    pub coverage_live: f64,
    /// The band's mean full width, percentage points.
    pub width: f64,
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
    /// See [`Book::band`].
    band: std::cell::RefCell<HashMap<(Grain, String, u32), Option<f64>>>,
}

fn add(s: &mut Series, y: i32, m: u32, v: (i128, i128, i128)) {
    let e = s.entry((y, m)).or_default();
    e.0 += v.0;
    e.1 += v.1;
    e.2 += v.2;
}

/// Share of the year's spending reached by month `m` in each complete earlier year (up to
/// [`HISTORY_YEARS`] before `before`).
struct YearShare {
    share: f64,
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
    async fn load(ctx: &SessionContext, period: Period) -> Result<Book> {
        let (year, month) = (period.year(), period.month());
        let text = period.to_string();
        let from = format!("{}", year - CALIBRATION_YEARS - HISTORY_YEARS);
        let params = [
            ("period", ScalarValue::from(text.as_str())),
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
            band: Default::default(),
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

    /// The half-width of the band for a grain in a region at month `m`: the conformal quantile
    /// of the absolute errors of every held-back (entity, year) of the grain there, computed
    /// once per (grain, region, month) and shared by the region's entities.
    fn band(&self, grain: Grain, region: &str, m: u32) -> Option<f64> {
        let key = (grain, region.to_string(), m);
        if let Some(v) = self.band.borrow().get(&key) {
            return *v;
        }
        let mut errors: Vec<f64> = Vec::new();
        for ((g, reg, _), e) in self
            .ents
            .range((grain, region.to_string(), String::new())..)
        {
            if *g != grain || reg != region {
                break;
            }
            errors.extend(
                held_back(&e.series, self.year, m)
                    .iter()
                    .map(|x| x.method.abs()),
            );
        }
        errors.sort_by(f64::total_cmp);
        let v = conformal(&errors);
        self.band.borrow_mut().insert(key, v);
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
        let half = self.band(grain, region, as_of);
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
            low: rate.zip(half).map(|(x, h)| x - h),
            high: rate.zip(half).map(|(x, h)| x + h),
            basis,
            years,
            path,
        })
    }
}

/// One held-back year: how it ended minus what each projection gave at month `m`, in
/// percentage points of its budget.
#[derive(Debug, Clone, Copy)]
struct Miss {
    year: i32,
    /// The method: the mean share of the year's own earlier years (up to five).
    method: f64,
    even: f64,
    /// Last year's share alone (none without last year).
    last_year: Option<f64>,
}

/// Each complete year of a series before `year` (up to [`CALIBRATION_YEARS`] back) projected at
/// month `m` as the method would have projected it then: from the years before it alone.
fn held_back(s: &Series, year: i32, m: u32) -> Vec<Miss> {
    let mut out = Vec::new();
    for y in year - CALIBRATION_YEARS..year {
        let (Some(at), Some(end)) = (s.get(&(y, m)), s.get(&(y, 12))) else {
            continue;
        };
        if end.2 <= 0 || end.1 <= 0 || at.1 <= 0 {
            continue;
        }
        let Some((mean, _)) = mean_share(s, y, m).filter(|x| x.0 > 0.0) else {
            continue;
        };
        // A ratio of two exact amounts: only the quotient is a float.
        let spent = at.2 as f64 / at.1 as f64;
        let actual = 100.0 * end.2 as f64 / end.1 as f64;
        let last = match (s.get(&(y - 1, m)), s.get(&(y - 1, 12))) {
            (Some(a), Some(e)) if e.2 > 0 && e.1 > 0 && a.2 > 0 => Some(a.2 as f64 / e.2 as f64),
            _ => None,
        };
        out.push(Miss {
            year: y,
            method: actual - 100.0 * spent / mean,
            even: actual - 100.0 * spent * 12.0 / m as f64,
            last_year: last.map(|sh| actual - 100.0 * spent / sh),
        });
    }
    out
}

/// The conformal rank among `n` errors: ⌈(n + 1) × COVERAGE / 100⌉, in integers (a float
/// 0.9 would make 10 × 0.9 a hair above 9 on some n).
fn rank(n: usize) -> usize {
    ((n + 1) * COVERAGE).div_ceil(100)
}

/// The half-width a band needs to hold [`COVERAGE`] % of errors like these (sorted absolute
/// errors): the ⌈(n + 1) × COVERAGE⌉-th smallest, the split-conformal rank that holds the
/// coverage for a new year exchangeable with them; with too few errors for that rank, the
/// largest. `None` without any.
pub fn conformal(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    Some(sorted[rank(n).clamp(1, n) - 1])
}

/// Projections of every entity of `grain` with data in the period's year, as of the period.
pub async fn project(
    ctx: &SessionContext,
    period: Period,
    grain: Grain,
) -> Result<Vec<Projection>> {
    Ok(project_all(ctx, period, &[grain])
        .await?
        .remove(&grain)
        .unwrap_or_default())
}

/// Projections of several grains from one read of the warehouse.
pub async fn project_all(
    ctx: &SessionContext,
    period: Period,
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

/// The backtest of the method on the warehouse's complete years before the period's year (up
/// to [`CALIBRATION_YEARS`]): each projected at each month as the method would have projected it
/// then, beside the baselines; coverage is how often a held-back year fell inside the band
/// calibrated, as the live band is, on the other years of its grain and region.
pub async fn accuracy(
    ctx: &SessionContext,
    period: Period,
    grains: &[Grain],
) -> Result<Vec<Accuracy>> {
    let book = Book::load(ctx, period).await?;
    let mut out = Vec::new();
    for &grain in grains {
        for m in 1..=11 {
            // Per region: the band's pool.
            let mut by_region: BTreeMap<&str, Vec<Miss>> = BTreeMap::new();
            for ((g, region, _), e) in &book.ents {
                if *g == grain {
                    by_region
                        .entry(region.as_str())
                        .or_default()
                        .extend(held_back(&e.series, book.year, m));
                }
            }
            let r: Vec<Miss> = by_region.values().flatten().copied().collect();
            if r.is_empty() {
                continue;
            }
            let (mut covered, mut widths) = (0usize, 0.0);
            let (mut live, mut live_n) = (0usize, 0usize);
            for misses in by_region.values() {
                let mut sorted: Vec<f64> = misses.iter().map(|x| x.method.abs()).collect();
                sorted.sort_by(f64::total_cmp);
                for x in misses {
                    // The band from the other years: this one taken out of the pool (the
                    // conformal rank among n - 1, read past this one's place in the sorted list).
                    let at = sorted.partition_point(|v| *v < x.method.abs());
                    let others = sorted.len() - 1;
                    let k = rank(others).clamp(1, others.max(1));
                    let h = (others > 0).then(|| sorted[if at > k - 1 { k - 1 } else { k }]);
                    if let Some(h) = h {
                        covered += usize::from(x.method.abs() <= h);
                        widths += 2.0 * h;
                    }
                    let mut before: Vec<f64> = misses
                        .iter()
                        .filter(|o| o.year < x.year)
                        .map(|o| o.method.abs())
                        .collect();
                    before.sort_by(f64::total_cmp);
                    if let Some(h) = conformal(&before) {
                        live_n += 1;
                        live += usize::from(x.method.abs() <= h);
                    }
                }
            }
            let n = r.len() as f64;
            let last: Vec<f64> = r.iter().filter_map(|x| x.last_year).collect();
            out.push(Accuracy {
                grain,
                month: m,
                n: r.len(),
                mae: r.iter().map(|x| x.method.abs()).sum::<f64>() / n,
                rmse: (r.iter().map(|x| x.method * x.method).sum::<f64>() / n).sqrt(),
                mae_even: r.iter().map(|x| x.even.abs()).sum::<f64>() / n,
                mae_last_year: if last.is_empty() {
                    f64::NAN
                } else {
                    last.iter().map(|x| x.abs()).sum::<f64>() / last.len() as f64
                },
                coverage: 100.0 * covered as f64 / n,
                coverage_live: if live_n == 0 {
                    f64::NAN
                } else {
                    100.0 * live as f64 / live_n as f64
                },
                width: widths / n,
            });
        }
    }
    Ok(out)
}

/// PEFA grade of an aggregate outturn (% of the original budget): A, B, C within `pp[0..3]`
/// points of 100 (95–105, 90–110, 85–115 in the built-in pack), else D. The bands are the
/// `pefa_pi1_aggregate_outturn` rule's parameters ([`crate::figures::Bands`]): the projection
/// grades as the rule does.
pub fn pi1_grade(outturn: f64, pp: &[f64; 3]) -> char {
    // Exact for any outturn within a factor two of 100 (Sterbenz): 95 is A at ±5 pp.
    let off = (outturn - 100.0).abs();
    ['A', 'B', 'C']
        .into_iter()
        .zip(pp)
        .find(|(_, band)| off <= **band)
        .map_or('D', |(g, _)| g)
}

/// PEFA PI-2.1 grade of a composition variance (%): A, B, C below `pct[0..3]` (5, 10, 15 in
/// the built-in pack, the `pefa_pi2_composition` rule's parameters), else D.
pub fn pi2_grade(variance: f64, pct: &[f64; 3]) -> char {
    ['A', 'B', 'C']
        .into_iter()
        .zip(pct)
        .find(|(_, band)| variance < **band)
        .map_or('D', |(g, _)| g)
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

/// PI-1 and PI-2.1 on projected year-end figures, from the region and function projections,
/// graded in the rules' bands.
pub fn pefa_outlook(
    regions: &[Projection],
    functions: &[Projection],
    bands: &crate::figures::Bands,
) -> Vec<PefaOutlook> {
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
                pi1_grade: pi1.map(|x| pi1_grade(x, &bands.pi1_pp)),
                pi2_variance: pi2,
                pi2_grade: pi2.map(|x| pi2_grade(x, &bands.pi2_pct)),
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
    /// The projections of `period`, the PEFA outlook graded in `bands` (the rules').
    pub async fn of(
        ctx: &SessionContext,
        period: Period,
        bands: &crate::figures::Bands,
    ) -> Result<Outlook> {
        let mut all = project_all(ctx, period, &Grain::ALL).await?;
        let regions = all.remove(&Grain::Region).unwrap_or_default();
        let functions = all.remove(&Grain::Function).unwrap_or_default();
        let pefa = pefa_outlook(&regions, &functions, bands);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_band_is_the_conformal_rank_of_the_errors() {
        let errors = |n: usize| (1..=n).map(|x| x as f64).collect::<Vec<f64>>();
        // ⌈(n + 1) × 0.9⌉: 9 of 9 (the largest), 10 of 10, 18 of 19, 19 of 20 (⌈18.9⌉).
        assert_eq!(conformal(&errors(9)), Some(9.0));
        assert_eq!(conformal(&errors(10)), Some(10.0));
        assert_eq!(conformal(&errors(19)), Some(18.0));
        assert_eq!(conformal(&errors(20)), Some(19.0));
        // Too few for the rank: the largest error seen; none: no band.
        assert_eq!(conformal(&errors(3)), Some(3.0));
        assert_eq!(conformal(&[]), None);
    }
}
