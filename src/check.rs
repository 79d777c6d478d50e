//! `purse check`: the engine, the rules and the alert store, in that order. Rules read the
//! warehouse through the engine and return findings; only the alert store writes.

use std::path::Path;
use std::time::Instant;

use futures::{StreamExt, TryStreamExt};
use serde::Serialize;

use crate::alerts::{AlertStore, RunSummary};
use crate::common::Period;
use crate::datasets::Catalog;
use crate::engine;
use crate::error::{PurseError, Result};
use crate::rules::runner::{RuleRun, RunCache, run_rule_cached};
use crate::rules::{Rule, RuleSet};

/// Picks the rules to run: the enabled ones, or exactly those named.
pub fn select<'a>(rules: &'a RuleSet, only: &[String]) -> Result<Vec<&'a Rule>> {
    if only.is_empty() {
        return Ok(rules.rules.iter().filter(|r| r.enabled).collect());
    }
    only.iter()
        .map(|id| {
            rules.get(id).ok_or_else(|| {
                let known: Vec<&str> = rules.rules.iter().map(|r| r.id.as_str()).collect();
                PurseError::Invalid(format!("no rule `{id}` (rules: {})", known.join(", ")))
            })
        })
        .collect()
}

/// How many rules run at once: `PURSE_RULE_CONCURRENCY`, else one per core.
pub fn rule_concurrency() -> usize {
    std::env::var("PURSE_RULE_CONCURRENCY")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
}

/// The partitions each rule's plan gets when `running` rules run at once on a session of
/// `target` partitions (its cores, or `DATAFUSION_EXECUTION_TARGET_PARTITIONS`): the cores are
/// shared out between the rules, so a pack's rules run one partition each, side by side, and a
/// rule checked on its own gets them all.
///
/// Why not every rule on every core: a plan split into partitions pays for it (repartitioning
/// between stages, partial and final aggregates, a thread hand-over per batch), which a rule
/// over a month of data cannot earn back. Measured on the pack for 2025-12 at `--scale 20`
/// (30 rules, 2 cores): 1.42 s with each rule on 2 partitions, 1.12 s with rules side by side
/// on one partition each, the heaviest first.
pub fn partitions_per_rule(target: usize, concurrency: usize, running: usize) -> usize {
    (target / concurrency.min(running).max(1)).max(1)
}

#[derive(Debug, Serialize)]
pub struct CheckResult {
    pub runs: Vec<RuleRun>,
    pub summary: Option<RunSummary>,
}

/// A check's view of the warehouse: one engine session and the manifest's coverage, opened once
/// and reused for every period of a range (tables registered, file listings and Parquet
/// statistics cached once, not per month). The warehouse does not change under a check.
pub struct CheckSession {
    ctx: datafusion::prelude::SessionContext,
    catalog: Catalog,
    data_dir: std::path::PathBuf,
    cache: std::sync::Arc<RunCache>,
    /// Live rows per dataset, to start the heaviest rules first.
    rows: std::collections::BTreeMap<String, u64>,
    /// Whether plans run in this process (the cores are then shared out between the rules).
    local: bool,
}

impl CheckSession {
    pub async fn open(data_dir: &Path, catalog: &Catalog) -> Result<CheckSession> {
        Self::open_on(engine::engine(), data_dir, catalog).await
    }

    /// [`CheckSession::open`] on a given engine (local, or a Ballista scheduler).
    pub async fn open_on(
        on: &engine::EngineUrl,
        data_dir: &Path,
        catalog: &Catalog,
    ) -> Result<CheckSession> {
        // One look at the manifest serves the session's lineage and the rules' coverage (what
        // each dataset holds per period and scope, written at load).
        let (ctx, parts) = engine::session_and_parts_on(on, data_dir, catalog).await?;
        let mut rows = std::collections::BTreeMap::new();
        for (dataset, _, _, n) in parts.iter().flatten() {
            *rows.entry(dataset.clone()).or_insert(0) += n;
        }
        Ok(CheckSession {
            ctx,
            catalog: catalog.clone(),
            data_dir: data_dir.to_path_buf(),
            cache: std::sync::Arc::new(parts.map(RunCache::with_manifest).unwrap_or_default()),
            rows,
            local: *on == engine::EngineUrl::Local,
        })
    }

    /// Validates every rule of the set before anything is checked, so a broken rule file is
    /// named first: it must plan, return the reserved columns and the fields its message uses.
    /// Each rule is planned once, on a worker, on this session, and the plan kept for its runs.
    /// The first broken rule in the set's order is the one named.
    pub async fn validate(&self, rules: &RuleSet) -> Result<()> {
        let checks = rules.rules.iter().map(|r| {
            let (ctx, cache, rule) = (self.ctx.clone(), self.cache.clone(), r.clone());
            tokio::spawn(async move { cache.check_shape(&ctx, &rule).await })
        });
        for done in futures::future::join_all(checks).await {
            done.map_err(|e| PurseError::Invalid(format!("rule validation: {e}")))??;
        }
        Ok(())
    }

    /// Runs the selected rules for a period; stores alerts unless `dry_run`.
    pub async fn check(
        &self,
        data_dir: &Path,
        rules: &[&Rule],
        period: Period,
        dry_run: bool,
    ) -> Result<CheckResult> {
        let started_at = chrono::Local::now()
            .format("%Y-%m-%dT%H:%M:%S%:z")
            .to_string();
        let t0 = Instant::now();
        // Rules are independent reads: they run side by side, one per core, each as a task of
        // its own (see `partitions_per_rule`). The heaviest (by the live rows of what they read)
        // start first, so no big rule is left running alone at the end. Results keep the
        // pack's order.
        let weight = |r: &Rule| -> u64 { r.datasets.iter().filter_map(|d| self.rows.get(d)).sum() };
        let mut order: Vec<usize> = (0..rules.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(weight(rules[i])));
        // A rule held for its sources' quality is not run at all.
        let held = self.quality_holds(rules, period).await?;
        // On a cluster the scheduler shares out its executors; here the cores are shared out
        // between the rules running at once.
        let concurrency = rule_concurrency();
        let partitions = self.local.then(|| {
            let running = held.iter().filter(|h| h.is_none()).count();
            partitions_per_rule(
                self.ctx.state().config().target_partitions(),
                concurrency,
                running,
            )
        });
        let pending = order.into_iter().map(|i| {
            let held = held[i].clone();
            let (ctx, cache) = (self.ctx.clone(), self.cache.clone());
            let rule = rules[i].clone();
            async move {
                let run = match held {
                    Some(why) => not_run(&rule, period, why),
                    // Each rule is a task of its own: its planning and the part of its plan that
                    // runs in one partition go to whichever worker is free, not all to the
                    // thread that awaits the pack.
                    None => tokio::spawn(async move {
                        run_rule_cached(&ctx, &rule, period, &cache, partitions).await
                    })
                    .await
                    .map_err(|e| PurseError::Invalid(format!("rule {}: {e}", rules[i].id)))?,
                };
                run.map(|r| (i, r))
            }
        });
        let mut done: Vec<(usize, RuleRun)> = futures::stream::iter(pending)
            .buffer_unordered(concurrency)
            .try_collect()
            .await?;
        done.sort_by_key(|(i, _)| *i);
        let runs: Vec<RuleRun> = done.into_iter().map(|(_, r)| r).collect();
        if dry_run {
            return Ok(CheckResult {
                runs,
                summary: None,
            });
        }
        // The alert store is SQLite: recorded on the blocking pool, not on this async thread.
        let dir = data_dir.to_path_buf();
        let owned: Vec<Rule> = rules.iter().map(|r| (*r).clone()).collect();
        let ms = t0.elapsed().as_millis();
        let (runs, summary) = crate::db::blocking(move || {
            let rules: Vec<&Rule> = owned.iter().collect();
            let s = AlertStore::open(&dir)?.record_run(period, &rules, &runs, &started_at, ms)?;
            Ok::<_, PurseError>((runs, s))
        })
        .await?;
        Ok(CheckResult {
            runs,
            summary: Some(summary),
        })
    }
}

impl CheckSession {
    /// Per rule, why it is held for the period: a rule with `min_quality` one of whose datasets
    /// grades below it is not evaluated, and its alerts are left as they are.
    async fn quality_holds(&self, rules: &[&Rule], period: Period) -> Result<Vec<Option<String>>> {
        if !rules.iter().any(|r| r.min_quality.is_some()) {
            return Ok(vec![None; rules.len()]);
        }
        let dir = self.data_dir.clone();
        let (config, deliveries) = crate::db::blocking(move || {
            let config = crate::config::Config::load(&dir)?;
            let deliveries = match crate::warehouse::Warehouse::open_read(&dir) {
                Ok(wh) => crate::foresight::quality::Deliveries::read(&wh)?,
                Err(_) => Default::default(),
            };
            Ok::<_, PurseError>((config, deliveries))
        })
        .await?;
        let card = crate::foresight::quality::scorecard(
            &self.ctx,
            &self.catalog,
            &deliveries,
            &config.quality,
            period,
            chrono::Local::now().date_naive(),
        )
        .await?;
        Ok(rules
            .iter()
            .map(|r| {
                let min = r.min_quality?;
                r.datasets.iter().find_map(|d| {
                    let g = card.grade_of(d).filter(|g| !crate::foresight::quality::meets(*g, min))?;
                    Some(format!(
                        "{d} data quality {g} for the twelve months to {period}, below the rule's minimum {min}"
                    ))
                })
            })
            .collect())
    }
}

/// The run of a rule that was not run: not evaluated, for `why`.
fn not_run(rule: &Rule, period: Period, why: String) -> Result<RuleRun> {
    Ok(RuleRun {
        rule_id: rule.id.clone(),
        duration: std::time::Duration::ZERO,
        rows_scanned: 0,
        outcome: crate::rules::runner::Outcome::NotEvaluated(why),
        coverage: vec![],
        params: crate::rules::runner::bindings(rule, period),
        findings: vec![],
    })
}

/// Runs the selected rules for one period; stores alerts unless `dry_run`. A range of periods
/// is checked through one [`CheckSession`].
pub async fn check(
    data_dir: &Path,
    catalog: &Catalog,
    rules: &[&Rule],
    period: Period,
    dry_run: bool,
) -> Result<CheckResult> {
    CheckSession::open(data_dir, catalog)
        .await?
        .check(data_dir, rules, period, dry_run)
        .await
}

/// Runs every enabled rule of the deployment (its rule folder or the built-in pack, with its
/// `purse.toml` overrides) for each period in turn, storing the alerts; with them the months
/// already checked that their figures enter (see `months_of`). What the server does after an
/// upload and before a scheduled report.
pub async fn check_periods(
    data_dir: &Path,
    catalog: &Catalog,
    config: &crate::config::Config,
    periods: &[String],
) -> Result<Vec<CheckResult>> {
    let months = months_of(data_dir, periods).await?;
    check_months(data_dir, catalog, config, &months).await
}

/// [`check_periods`] of months.
async fn check_months(
    data_dir: &Path,
    catalog: &Catalog,
    config: &crate::config::Config,
    periods: &[Period],
) -> Result<Vec<CheckResult>> {
    if periods.is_empty() {
        return Ok(vec![]);
    }
    let set = RuleSet::resolve(None, data_dir, catalog, &config.rules)?;
    let selected = select(&set, &[])?;
    let session = CheckSession::open(data_dir, catalog).await?;
    let mut out = Vec::with_capacity(periods.len());
    for p in periods {
        out.push(session.check(data_dir, &selected, *p, false).await?);
    }
    Ok(out)
}

/// The months to check for the periods a load touched (or took back): a month as it is; a year
/// (a yearly dataset such as targets) as the months of it already checked, since its figures
/// enter every month's rules but a year is not a month to check; anything else, nothing. And
/// every month already checked after the earliest of them, across a year end too: a month's
/// figures enter later months' rules (累计 carried on, a finding open for months, the same month
/// a year on), so a late correction or a retraction of March checks April to December again.
async fn months_of(data_dir: &Path, periods: &[String]) -> Result<Vec<Period>> {
    let mut months = std::collections::BTreeSet::new();
    let mut from: Option<Period> = None;
    for p in periods {
        let start = if let Ok(month) = p.parse::<Period>() {
            months.insert(month);
            month
        } else if p.len() == 4
            && p.bytes().all(|b| b.is_ascii_digit())
            && let Ok(january) = format!("{p}-01").parse::<Period>()
        {
            january
        } else {
            continue;
        };
        if from.as_ref().is_none_or(|f| start < *f) {
            from = Some(start);
        }
    }
    if let Some(from) = from {
        let dir = data_dir.to_path_buf();
        let checked =
            crate::db::blocking(move || AlertStore::open(&dir)?.checked_periods()).await?;
        months.extend(checked.into_iter().filter(|m| *m >= from));
    }
    Ok(months.into_iter().collect())
}

/// What taking a load back did: the manifest's side, the periods checked again and the alerts
/// that only its data had shown.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Retracted {
    pub retraction: crate::warehouse::Retraction,
    /// The months checked again (a yearly load's: the months of its year checked before).
    pub checked: Vec<Period>,
    /// The runs that checked its periods again.
    pub runs: Vec<i64>,
    pub withdrawn: crate::alerts::Withdrawn,
}

/// Takes an accepted load back (`purse loads retract`, the Data page's 撤回): the warehouse
/// returns to its state without the load, its periods are checked again, and the alerts only
/// its data showed are taken back (see [`crate::alerts::AlertStore::withdraw`]). `actor` and
/// `reason` are kept in the manifest and the audit log.
pub async fn retract_load(
    data_dir: &Path,
    catalog: &Catalog,
    config: &crate::config::Config,
    load_id: i64,
    actor: &str,
    reason: &str,
) -> Result<Retracted> {
    // The writer lock may have to wait for a load in progress: off the async threads.
    let (dir, who, why) = (
        data_dir.to_path_buf(),
        actor.to_string(),
        reason.to_string(),
    );
    // Audited where every other change of the data is (uploads, users): who, what and why;
    // with the retraction, off the async threads.
    let retraction = tokio::task::spawn_blocking(move || {
        let r = crate::warehouse::Warehouse::open(&dir)?.retract(load_id, &who, &why)?;
        crate::users::Users::open(&dir)?.audit(
            &who,
            "retract",
            &format!("#{}: {}", r.id, r.message),
        )?;
        Ok::<_, PurseError>(r)
    })
    .await
    .map_err(|e| PurseError::Invalid(format!("internal: the retraction stopped: {e}")))??;
    let months = months_of(data_dir, &retraction.periods).await?;
    let checked = check_months(data_dir, catalog, config, &months).await?;
    let runs: Vec<i64> = checked
        .iter()
        .filter_map(|c| c.summary.as_ref().map(|s| s.run_id))
        .collect();
    let (dir, at, m, r) = (
        data_dir.to_path_buf(),
        retraction.committed_at.clone(),
        months.clone(),
        runs.clone(),
    );
    let withdrawn =
        crate::db::blocking(move || AlertStore::open(&dir)?.withdraw(load_id, &at, &m, &r)).await?;
    Ok(Retracted {
        retraction,
        checked: months,
        runs,
        withdrawn,
    })
}

#[cfg(test)]
mod tests {
    use super::partitions_per_rule;

    #[test]
    fn cores_are_shared_out_between_the_rules_running_at_once() {
        // A pack on two cores, two rules at a time: one partition each.
        assert_eq!(partitions_per_rule(2, 2, 30), 1);
        // One rule checked on its own gets every core.
        assert_eq!(partitions_per_rule(2, 2, 1), 2);
        // Rules one by one (PURSE_RULE_CONCURRENCY=1): each gets every core.
        assert_eq!(partitions_per_rule(2, 1, 30), 2);
        // More partitions than rules at once (DATAFUSION_EXECUTION_TARGET_PARTITIONS=8).
        assert_eq!(partitions_per_rule(8, 2, 30), 4);
        // Never below one, whatever is asked.
        assert_eq!(partitions_per_rule(2, 8, 30), 1);
        assert_eq!(partitions_per_rule(1, 2, 0), 1);
    }
}
