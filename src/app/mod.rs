//! The application: what the web, the CLI, the report and the scheduler all ask of purse,
//! in one place, typed in [`crate::Result`] rather than in HTTP. It owns the stores (each
//! SQLite connection used only from the blocking pool, see [`store`]), the engines per user
//! reach and the caches kept per data version (rule set and colour bands, cockpits,
//! projections, periods), and the jobs that run beside requests (uploads, the monthly
//! report's schedule). Callers stay thin: they parse their input, ask here, and render.

pub mod console;
pub mod data;
pub mod jobs;
pub mod report;
pub mod schedule;
pub mod store;
pub mod upload;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use datafusion::prelude::SessionContext;

use crate::access::Visible;
use crate::alerts::AlertStore;
use crate::common::Period;
use crate::config::Config;
use crate::datasets::Catalog;
use crate::error::{PurseError, Result};
use crate::figures::Cockpit;
use crate::foresight::projection::Outlook;
use crate::users::{Reach, Users};

/// An engine for one reach: the data version it was built at, the session bounded to the reach,
/// and what the reach lets through of alerts and problem items.
type Engine = (i64, SessionContext, Arc<Visible>);

pub use crate::db::blocking;

/// A poisoned lock only means another task panicked; the data behind it is SQLite's.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// purse for one data directory. Share it behind an `Arc`.
pub struct App {
    pub data_dir: PathBuf,
    pub catalog: Catalog,
    pub config: Config,
    /// One engine per reach (the empty key: everything), rebuilt when a load lands.
    engines: tokio::sync::Mutex<HashMap<String, Engine>>,
    /// 问数's dictionaries per reach (names the user's rows hold), per data version.
    ask_dicts: Mutex<HashMap<String, (i64, Arc<crate::ask::Dictionary>)>>,
    cockpits: Mutex<HashMap<(i64, Period, String), Arc<Cockpit>>>,
    /// Year-end projections per (data version, period, reach), every grain from one read.
    outlooks: Mutex<HashMap<(i64, Period, String), Arc<Outlook>>>,
    periods: Mutex<Option<(i64, Vec<String>)>>,
    /// The rule set and its colour bands, read once per data version (see [`App::rules`]), not
    /// once per request or drill-down.
    rule_set: Mutex<Option<(i64, Arc<crate::rules::RuleSet>, crate::figures::Bands)>>,
    /// The alert workflow.
    pub alerts: store::Store<AlertStore>,
    /// Users, sessions and the audit log.
    pub users: store::Store<Users>,
    /// The console's saved queries and log.
    pub console: store::Store<crate::console::ConsoleStore>,
    /// The problem list and its rectification loop.
    pub problems: store::Store<crate::problems::ProblemStore>,
    /// Upload jobs: their table and, while they run, their progress.
    pub jobs: store::Store<jobs::Jobs>,
    versions: Arc<store::Versions>,
    sessions: store::Sessions,
    /// One upload is ingested at a time (the warehouse has one writer).
    ingest: tokio::sync::Mutex<()>,
}

impl App {
    /// Opens (and migrates) the stores of `data_dir`, off the async threads.
    pub async fn open(data_dir: &Path, catalog: Catalog, config: Config) -> Result<App> {
        let dir = data_dir.to_path_buf();
        blocking(move || App::open_blocking(&dir, catalog, config)).await
    }

    /// [`App::open`] for callers outside a runtime (the CLI before it starts one).
    pub fn open_blocking(data_dir: &Path, catalog: Catalog, config: Config) -> Result<App> {
        let versions = store::Versions::start(data_dir)?;
        Ok(App {
            data_dir: data_dir.to_path_buf(),
            alerts: store::Store::new(AlertStore::open(data_dir)?, versions.clone()),
            users: store::Store::new(Users::open(data_dir)?, versions.clone()),
            console: store::Store::new(
                crate::console::ConsoleStore::open(data_dir)?,
                versions.clone(),
            ),
            jobs: store::Store::new(jobs::Jobs::open(data_dir)?, versions.clone()),
            problems: store::Store::new(
                crate::problems::ProblemStore::open(data_dir)?,
                versions.clone(),
            ),
            versions,
            sessions: store::Sessions::default(),
            catalog,
            config,
            engines: tokio::sync::Mutex::new(HashMap::new()),
            ask_dicts: Mutex::new(HashMap::new()),
            cockpits: Mutex::new(HashMap::new()),
            outlooks: Mutex::new(HashMap::new()),
            periods: Mutex::new(None),
            rule_set: Mutex::new(None),
            ingest: tokio::sync::Mutex::new(()),
        })
    }

    /// The newest load in the manifest: figures cached under an older one are stale. Read from
    /// memory; the poller in [`store`] keeps it current.
    pub fn data_version(&self) -> i64 {
        self.versions.data()
    }

    /// Bumped on every commit to `purse.db`: rendered pages cached under an older one are stale.
    pub fn generation(&self) -> u64 {
        self.versions.generation()
    }

    /// Looks for commits now rather than at the poller's next tick (after a load this process
    /// made, so its own user sees it at once).
    pub async fn refresh_versions(&self) -> Result<()> {
        let v = self.versions.clone();
        blocking(move || v.refresh()).await
    }

    /// The session of a token, from memory unless the database changed since it was read.
    pub async fn session(&self, token: &str) -> Result<Option<crate::users::Session>> {
        self.sessions.get(&self.users, &self.versions, token).await
    }

    /// The engine over the current warehouse as `reach` sees it (every table bounded by
    /// [`crate::engine::restrict`]), rebuilt when a load lands.
    pub async fn engine(&self, reach: &Reach) -> Result<SessionContext> {
        Ok(self.engine_and_visible(reach).await?.0)
    }

    /// Which alerts and problem items `reach` lets through (read from its bounded engine).
    pub async fn visible(&self, reach: &Reach) -> Result<Arc<Visible>> {
        Ok(self.engine_and_visible(reach).await?.1)
    }

    async fn engine_and_visible(&self, reach: &Reach) -> Result<(SessionContext, Arc<Visible>)> {
        let v = self.data_version();
        let key = reach.key();
        let mut e = self.engines.lock().await;
        if let Some((ver, ctx, vis)) = e.get(&key)
            && *ver == v
        {
            return Ok((ctx.clone(), vis.clone()));
        }
        let ctx = crate::engine::session(&self.data_dir, &self.catalog).await?;
        crate::engine::restrict(&ctx, &self.catalog, reach).await?;
        let vis = Arc::new(Visible::of(&ctx, reach).await?);
        e.retain(|_, (ver, _, _)| *ver == v);
        e.insert(key, (v, ctx.clone(), vis.clone()));
        Ok((ctx, vis))
    }

    /// Alerts by filter, as `reach` sees them.
    pub async fn alerts_for(
        &self,
        reach: &Reach,
        filter: crate::alerts::Filter,
    ) -> Result<Vec<crate::alerts::Alert>> {
        let vis = self.visible(reach).await?;
        let v = self.alerts.read(move |s| s.list(&filter)).await?;
        Ok(vis.alerts(v))
    }

    /// 本月要点: the open alerts of `period` that matter first, as `reach` sees them (see
    /// [`crate::alerts::highlights`]).
    pub async fn highlights_for(
        &self,
        reach: &Reach,
        period: Period,
    ) -> Result<Vec<crate::alerts::highlights::Highlight>> {
        let vis = self.visible(reach).await?;
        let stakes: HashMap<String, String> = self
            .rules()?
            .rules
            .iter()
            .filter_map(|r| Some((r.id.clone(), r.stake.clone()?)))
            .collect();
        let (month, reopened) = self
            .alerts
            .read(move |s| Ok::<_, PurseError>((s.in_period(period)?, s.reopened_counts()?)))
            .await?;
        let month = month.into_iter().filter(|(a, _)| vis.alert(a)).collect();
        Ok(crate::alerts::highlights::rank(
            month,
            &stakes,
            &reopened,
            crate::alerts::highlights::TOP,
        ))
    }

    /// A month's alerts against the month before, as `reach` sees them.
    pub async fn month_for(
        &self,
        reach: &Reach,
        period: Period,
    ) -> Result<crate::alerts::MonthAlerts> {
        let vis = self.visible(reach).await?;
        let m = self
            .alerts
            .read(move |s| s.month(period, period.prev()))
            .await?;
        Ok(vis.month(m))
    }

    /// How many alerts each rule has raised, of those `reach` sees.
    pub async fn fired_for(&self, reach: &Reach) -> Result<HashMap<String, i64>> {
        if reach.is_all() {
            return self.alerts.read(|s| s.counts_by_rule()).await;
        }
        let mut m = HashMap::new();
        for a in self.alerts_for(reach, Default::default()).await? {
            *m.entry(a.rule_id).or_insert(0) += 1;
        }
        Ok(m)
    }

    /// Problem items by filter, as `reach` sees them (overdue as of today).
    pub async fn problems_for(
        &self,
        reach: &Reach,
        filter: crate::problems::Filter,
    ) -> Result<Vec<crate::problems::Problem>> {
        let vis = self.visible(reach).await?;
        let on = chrono::Local::now().date_naive();
        let v = self.problems.read(move |s| s.list(&filter, on)).await?;
        Ok(vis.problems(v))
    }

    /// One problem item, if `reach` sees it; otherwise the same answer as for no such item.
    pub async fn problem_for(&self, reach: &Reach, id: i64) -> Result<crate::problems::Problem> {
        let vis = self.visible(reach).await?;
        let p = self.problems.read(move |s| s.get(id)).await?;
        if vis.problem(&p) {
            Ok(p)
        } else {
            Err(PurseError::NotFound(format!("no problem item #{id}")))
        }
    }

    /// The loop in a month (YYYY-MM) as `reach` sees it, overdue as of `on`.
    pub async fn loop_for(
        &self,
        reach: &Reach,
        month: Period,
        on: chrono::NaiveDate,
    ) -> Result<crate::problems::LoopSummary> {
        let vis = self.visible(reach).await?;
        self.problems
            .read(move |s| s.summary(month, on, |p| vis.problem(p)))
            .await
    }

    /// Refuses an alert outside `reach` exactly as one that does not exist: a bounded user
    /// cannot tell another area's alert ids from gaps.
    pub async fn alert_in_reach(&self, reach: &Reach, id: i64) -> Result<()> {
        if reach.is_all() {
            return Ok(());
        }
        self.alert_for(reach, id).await.map(|_| ())
    }

    /// The alert `id`, read once, refused as missing when it lies outside `reach`.
    pub async fn alert_for(&self, reach: &Reach, id: i64) -> Result<crate::alerts::Alert> {
        let a = self.alerts.read(move |s| s.get(id)).await?;
        if reach.is_all() || self.visible(reach).await?.alert(&a) {
            Ok(a)
        } else {
            Err(PurseError::NotFound(format!("no alert #{id}")))
        }
    }

    /// Cockpit figures for a period as `reach` sees them, computed once per data version.
    pub async fn cockpit(&self, period: Period, reach: &Reach) -> Result<Arc<Cockpit>> {
        let v = self.data_version();
        let key = (v, period, reach.key());
        if let Some(c) = lock(&self.cockpits).get(&key) {
            return Ok(c.clone());
        }
        let ctx = self.engine(reach).await?;
        let c = Arc::new(crate::figures::cockpit(&ctx, period, &self.bands()?).await?);
        let mut cache = lock(&self.cockpits);
        cache.retain(|k, _| k.0 == v);
        cache.insert(key, c.clone());
        Ok(c)
    }

    /// Year-end projections of every grain as `reach` sees them, computed once per data version.
    pub async fn outlook(&self, period: Period, reach: &Reach) -> Result<Arc<Outlook>> {
        let v = self.data_version();
        let key = (v, period, reach.key());
        if let Some(c) = lock(&self.outlooks).get(&key) {
            return Ok(c.clone());
        }
        let ctx = self.engine(reach).await?;
        let o = Arc::new(Outlook::of(&ctx, period, &self.bands()?).await?);
        let mut cache = lock(&self.outlooks);
        cache.retain(|k, _| k.0 == v);
        cache.insert(key, o.clone());
        Ok(o)
    }

    /// The data-quality scorecard of the twelve months to `period`, as `reach` sees the data.
    pub async fn scorecard(
        &self,
        period: Period,
        reach: &Reach,
    ) -> Result<crate::foresight::quality::Scorecard> {
        let dir = self.data_dir.clone();
        let deliveries = blocking(move || {
            crate::foresight::quality::Deliveries::read(&crate::warehouse::Warehouse::open_read(
                &dir,
            )?)
        })
        .await?;
        let ctx = self.engine(reach).await?;
        let today = chrono::Local::now().date_naive();
        crate::foresight::quality::scorecard(
            &ctx,
            &self.catalog,
            &deliveries,
            &self.config.quality,
            period,
            today,
        )
        .await
    }

    /// Periods with data, newest first.
    pub async fn periods(&self) -> Result<Vec<String>> {
        let v = self.data_version();
        if let Some((ver, p)) = lock(&self.periods).as_ref()
            && *ver == v
        {
            return Ok(p.clone());
        }
        let ctx = self.engine(&Reach::default()).await?;
        let monthly: Vec<&str> = self
            .catalog
            .datasets
            .iter()
            .filter(|d| d.grain == crate::datasets::Grain::Month)
            .map(|d| d.name.as_str())
            .collect();
        let p = crate::figures::periods(&ctx, &monthly).await?;
        *lock(&self.periods) = Some((v, p.clone()));
        Ok(p)
    }

    /// `period` if given and well formed, else the newest period with data.
    pub async fn period_or_latest(&self, p: Option<Period>) -> Result<Period> {
        match p {
            Some(p) => Ok(p),
            None => self
                .periods()
                .await?
                .iter()
                .find_map(|p| p.parse().ok())
                .ok_or_else(|| {
                    PurseError::NotFound(
                        "no data loaded yet: upload an extract on the Data page".into(),
                    )
                }),
        }
    }

    /// The colour bands of the deployment's rules (thresholds with overrides applied).
    pub fn bands(&self) -> Result<crate::figures::Bands> {
        Ok(self.rules_and_bands()?.1)
    }

    /// The deployment's rules: `DIR/queries` if present, else the built-in pack, with
    /// overrides. Read and validated once per data version (a load, a retraction or a check
    /// makes a new one), not once per request.
    pub fn rules(&self) -> Result<Arc<crate::rules::RuleSet>> {
        Ok(self.rules_and_bands()?.0)
    }

    fn rules_and_bands(&self) -> Result<(Arc<crate::rules::RuleSet>, crate::figures::Bands)> {
        let v = self.data_version();
        if let Some((ver, set, bands)) = lock(&self.rule_set).as_ref()
            && *ver == v
        {
            return Ok((set.clone(), bands.clone()));
        }
        let set = Arc::new(crate::rules::RuleSet::resolve(
            None,
            &self.data_dir,
            &self.catalog,
            &self.config.rules,
        )?);
        let bands = crate::figures::Bands::from_rules(&set);
        *lock(&self.rule_set) = Some((v, set.clone(), bands.clone()));
        Ok((set, bands))
    }
}

impl App {
    /// Checks the rules for the months `periods` (loads, retractions, the scheduler) name; see
    /// [`crate::check::check_periods`].
    pub async fn check_periods(
        &self,
        periods: &[String],
    ) -> Result<Vec<crate::check::CheckResult>> {
        crate::check::check_periods(&self.data_dir, &self.catalog, &self.config, periods).await
    }

    /// The drill-down of `scope` in `period`, as `reach` sees the data.
    pub async fn drill(
        &self,
        period: Period,
        scope: &crate::figures::Scope,
        reach: &Reach,
    ) -> Result<crate::figures::Drill> {
        let ctx = self.engine(reach).await?;
        crate::figures::drill(&ctx, period, scope).await
    }

    /// The money trail of `trace` from January to `period`, as `reach` sees the payments.
    pub async fn trail(
        &self,
        period: Period,
        trace: &crate::trail::Trace,
        reach: &Reach,
    ) -> Result<crate::trail::Trail> {
        let ctx = self.engine(reach).await?;
        crate::trail::trail(&ctx, period, trace).await
    }

    /// What an alert's money trail follows, and the month it reads to (the alert's last): from
    /// its rule's key. `None` where the finding names nothing the payments carry. An alert
    /// outside `reach` is not found.
    pub async fn alert_trace(
        &self,
        reach: &Reach,
        id: i64,
    ) -> Result<Option<(Period, crate::trail::Trace)>> {
        let a = self.alert_for(reach, id).await?;
        self.trace_of(&a)
    }

    /// [`App::alert_trace`] for an alert already read (the alert page holds it).
    pub fn trace_of(
        &self,
        a: &crate::alerts::Alert,
    ) -> Result<Option<(Period, crate::trail::Trace)>> {
        let rules = self.rules()?;
        let key = rules
            .get(&a.rule_id)
            .map(|r| r.key.as_slice())
            .unwrap_or(&[]);
        Ok(crate::trail::Trace::of_alert(a, key).map(|t| (a.last_period, t)))
    }

    /// The annual review of budget year `year` as its stored findings stand, as `reach` sees
    /// them: each finding in the month the review stored it, with the advisers who endorsed it
    /// (what the review page's report download writes; `purse review` runs the checks afresh).
    pub async fn review_of(&self, year: i32, reach: &Reach) -> Result<crate::review::Review> {
        let rules = self.rules()?;
        let vis = self.visible(reach).await?;
        let periods = crate::review::periods(year);
        let stored = self
            .alerts
            .read(move |s| {
                let mut out = Vec::new();
                for p in periods {
                    for (al, rec) in s.in_period(p)? {
                        let by: Vec<String> = s
                            .endorsements(al.id)?
                            .into_iter()
                            .map(|e| e.actor)
                            .collect();
                        out.push((al, rec, by));
                    }
                }
                Ok::<_, PurseError>(out)
            })
            .await?;
        let mut findings: Vec<crate::review::ReviewFinding> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (al, rec, by) in stored {
            let Some(rule) = rules.get(&al.rule_id) else {
                continue;
            };
            if crate::review::is_review_rule(rule)
                && (reach.is_all() || vis.alert(&al))
                && seen.insert(al.id)
            {
                findings.push(crate::review::ReviewFinding::of_alert(rule, &al, &rec, by));
            }
        }
        Ok(crate::review::Review {
            year,
            region_name: self.config.region_name.clone(),
            findings,
            not_reviewed: Vec::new(),
        })
    }

    /// 问数: a question answered on `reach`'s restricted session (its names, its rows, its
    /// alerts).
    pub async fn ask(&self, question: &str, reach: &Reach) -> Result<crate::ask::Answer> {
        let ctx = self.engine(reach).await?;
        let v = self.data_version();
        let key = reach.key();
        let cached = lock(&self.ask_dicts)
            .get(&key)
            .filter(|(ver, _)| *ver == v)
            .map(|(_, d)| d.clone());
        let dict = match cached {
            Some(d) => d,
            None => {
                let d = Arc::new(crate::ask::Dictionary::load(&ctx).await?);
                lock(&self.ask_dicts).insert(key, (v, d.clone()));
                d
            }
        };
        // The alert store is read only for a question that counts alerts.
        let mut rows = Vec::new();
        if crate::ask::reads_alerts(question, &dict) {
            let vis = self.visible(reach).await?;
            let fired = self.alerts.read(|s| s.fired()).await?;
            let fired: Vec<_> = fired
                .into_iter()
                .filter(|(a, _)| reach.is_all() || vis.alert(a))
                .collect();
            rows = crate::ask::alert_rows(&fired);
        }
        let mut a = crate::ask::answer(&ctx, &dict, &rows, question).await?;
        let (dir, lim) = (&self.data_dir, self.console_limits());
        crate::ask::with_model(
            &mut a,
            &self.config.ask,
            dir,
            &ctx,
            &self.catalog,
            |sql| async move { crate::console::run_isolated(dir, &sql, &lim, reach).await },
        )
        .await;
        Ok(a)
    }

    /// The audit analytics' findings on payments, as `reach` sees the data (to import into
    /// the problem list).
    pub async fn audit_findings(
        &self,
        reach: &Reach,
    ) -> Result<Vec<crate::problems::AuditFinding>> {
        let ctx = self.engine(reach).await?;
        crate::problems::audit_findings(&ctx).await
    }
}
