//! The monthly report's content, gathered from the engine and the stores (the report module
//! only renders and archives it).

use std::path::PathBuf;

use super::{App, blocking};
use crate::alerts::{Filter, Status};
use crate::common::Period;
use crate::error::{PurseError, Result};
use crate::figures;
use crate::i18n::Lang;
use crate::report::{Report, Skipped};
use crate::users::Reach;

impl App {
    /// The report of `period` as `reach` sees it (the archived reports see everything; a
    /// bounded user's report is drawn for them), speaking from `as_of`: rectifications due
    /// before it are overdue.
    pub async fn report(
        &self,
        month: Period,
        as_of: chrono::NaiveDate,
        reach: &Reach,
    ) -> Result<Report> {
        let text = month.to_string();
        let period = text.as_str();
        // What the SQL binds and the report's text name is `YYYY-MM` text; the stores take the month.
        let (ctx, vis) = self.engine_and_visible(reach).await?;
        let (rules, bands) = self.rules_and_bands()?;
        let cockpit = figures::cockpit(&ctx, month, &bands).await?;
        let prev = month.prev().to_string();
        let has_prev = figures::fetch(
            &ctx,
            "SELECT count(*) FROM budget_execution WHERE period = $p",
            &[("p", prev.as_str().into())],
        )
        .await?
        .first()
        .is_some_and(|r| r[0].int() > 0);
        let previous = if has_prev {
            Some(figures::cockpit(&ctx, month.prev(), &bands).await?)
        } else {
            None
        };
        let (dir, zone) = (self.data_dir.clone(), self.config.zone());
        let (data_as_of, deliveries) = blocking(move || {
            let Ok(wh) = crate::warehouse::Warehouse::open_read(&dir) else {
                return Ok::<_, PurseError>((String::new(), Default::default()));
            };
            let newest = wh
                .loads(1)?
                .first()
                .map(|l| format!("#{} {}", l.id, crate::i18n::local_time(&l.started_at, zone)));
            let deliveries = crate::foresight::quality::Deliveries::read(&wh)?;
            Ok((newest.unwrap_or_default(), deliveries))
        })
        .await?;
        let alerts = vis.month(
            self.alerts
                .read(move |s| s.month(month, month.prev()))
                .await?,
        );
        let rectifying = self
            .alerts
            .read(|s| {
                s.list(&Filter {
                    status: Some(Status::Rectifying),
                    ..Default::default()
                })
            })
            .await?;
        let rectifications = rectifying
            .into_iter()
            .filter(|a| a.first_period <= month && vis.alert(a))
            .map(|a| {
                let overdue = crate::workflow::overdue(a.due_date.as_deref(), true, as_of);
                (a, overdue)
            })
            .collect();
        let outcomes = self.alerts.read(move |s| s.rule_outcomes(month)).await?;
        let catalog = &self.catalog;
        let title = |ds: &str| catalog.get(ds).ok().map(|d| d.title.clone());
        let not_evaluated = outcomes
            .into_iter()
            .filter(|o| !o.evaluated)
            .map(|o| {
                let rule = rules.get(&o.rule_id);
                let stored = o.reason.unwrap_or_default();
                Skipped {
                    title_zh: rule.map_or_else(|| o.rule_id.clone(), |r| r.title_zh.clone()),
                    title_en: rule.map_or_else(|| o.rule_id.clone(), |r| r.title_en.clone()),
                    reason_zh: crate::i18n::reason(&stored, Lang::Zh, title),
                    reason_en: stored,
                    rule_id: o.rule_id,
                }
            })
            .collect();
        let mut has_data = false;
        for ds in &self.catalog.datasets {
            let sql = format!("SELECT 1 FROM {} WHERE period = $p LIMIT 1", ds.name);
            if !figures::fetch(&ctx, &sql, &[("p", period.into())])
                .await?
                .is_empty()
            {
                has_data = true;
                break;
            }
        }
        let v = vis.clone();
        let problems = self
            .problems
            .read(move |s| s.summary(month, as_of, |x| v.problem(x)))
            .await?;
        let outlook = crate::foresight::Outlook::of(&ctx, month, &bands).await?;
        let quality = crate::foresight::quality::scorecard(
            &ctx,
            &self.catalog,
            &deliveries,
            &self.config.quality,
            month,
            as_of,
        )
        .await?;
        let highlights = self.highlights_for(reach, month).await?;
        Ok(Report {
            highlights,
            quality,
            outlook,
            problems,
            reach: reach.clone(),
            not_evaluated,
            has_data,
            period: period.to_string(),
            region_name: self.config.region_name.clone(),
            as_of,
            data_as_of,
            cockpit,
            previous,
            month: alerts,
            rectifications,
        })
    }

    /// Builds and archives the HTML and XLSX report of a period as of its scheduled day;
    /// returns the two paths.
    pub async fn archive_report(&self, period: Period, lang: Lang) -> Result<(PathBuf, PathBuf)> {
        let cron = crate::report::schedule::Cron::parse(&self.config.report.schedule)?;
        let as_of = cron.due_date(period)?;
        let r = self.report(period, as_of, &Reach::default()).await?;
        let dir = self.data_dir.clone();
        blocking(move || {
            let reports = dir.join("reports");
            std::fs::create_dir_all(&reports).map_err(|e| PurseError::io(&reports, e))?;
            let hp = crate::report::archive_path(&dir, period, lang, "html");
            let xp = crate::report::archive_path(&dir, period, lang, "xlsx");
            crate::report::write_atomic(&hp, crate::report::html(&r, lang).as_bytes())?;
            crate::report::write_atomic(&xp, &crate::report::xlsx(&r, lang)?)?;
            Ok::<_, PurseError>((hp, xp))
        })
        .await
    }

    /// Archived reports: (period, language, html path, xlsx path), newest period first.
    pub async fn archived_reports(&self) -> Result<Vec<(String, Lang, PathBuf, PathBuf)>> {
        let dir = self.data_dir.clone();
        blocking(move || Ok::<_, PurseError>(crate::report::archived(&dir))).await
    }

    /// An archived report by its file name (only names the archive lists): its bytes, and
    /// whether it is the HTML (else the XLSX).
    pub async fn archived_report(&self, file: &str) -> Result<Option<(Vec<u8>, bool)>> {
        let dir = self.data_dir.clone();
        let wanted = file.to_string();
        let name = crate::report::file_name;
        blocking(move || {
            let found = crate::report::archived(&dir)
                .into_iter()
                .find_map(|(_, _, h, x)| {
                    if name(&h) == wanted {
                        Some((h, true))
                    } else if name(&x) == wanted && x.exists() {
                        Some((x, false))
                    } else {
                        None
                    }
                });
            let Some((path, is_html)) = found else {
                return Ok(None);
            };
            let bytes = std::fs::read(&path).map_err(|e| PurseError::io(&path, e))?;
            Ok::<_, PurseError>(Some((bytes, is_html)))
        })
        .await
    }
}
