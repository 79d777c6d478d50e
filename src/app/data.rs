//! What the warehouse holds, as the Data page and the API show it, and taking a load back.

use super::{App, blocking};
use crate::error::{PurseError, Result};
use crate::warehouse::{DatasetSummary, LoadRecord};

impl App {
    /// Per dataset what is loaded, and the newest `n` loads (empty before the first load).
    pub async fn manifest(&self, n: usize) -> Result<(Vec<DatasetSummary>, Vec<LoadRecord>)> {
        let dir = self.data_dir.clone();
        blocking(move || match crate::warehouse::Warehouse::open_read(&dir) {
            Ok(wh) => Ok::<_, PurseError>((wh.summary()?, wh.loads(n)?)),
            Err(_) => Ok((vec![], vec![])),
        })
        .await
    }

    /// A load and its issues report (the CSV written at ingest): header and up to 2,000 rows.
    pub async fn load_issues(
        &self,
        id: i64,
    ) -> Result<(LoadRecord, Vec<String>, Vec<Vec<String>>)> {
        let dir = self.data_dir.clone();
        blocking(move || {
            let wh = crate::warehouse::Warehouse::open_read(&dir)?;
            let load = wh
                .loads(usize::MAX >> 1)?
                .into_iter()
                .find(|x| x.id == id)
                .ok_or_else(|| PurseError::NotFound(format!("no load #{id}")))?;
            let path = load
                .report
                .clone()
                .ok_or_else(|| PurseError::NotFound(format!("load #{id} has no issues report")))?;
            let p = std::path::PathBuf::from(&path);
            let p = if p.is_absolute() { p } else { dir.join(p) };
            let text = std::fs::read_to_string(&p)
                .map_err(|e| PurseError::NotFound(format!("{}: {e}", p.display())))?;
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(true)
                .from_reader(text.as_bytes());
            let header: Vec<String> = rdr
                .headers()
                .map(|h| h.iter().map(str::to_string).collect())
                .unwrap_or_default();
            let rows: Vec<Vec<String>> = rdr
                .records()
                .flatten()
                .take(2000)
                .map(|r| r.iter().map(str::to_string).collect())
                .collect();
            Ok::<_, PurseError>((load, header, rows))
        })
        .await
    }

    /// Takes an accepted load back and checks its months again (see
    /// [`crate::check::retract_load`]); pages show the data without it at once.
    pub async fn retract(
        &self,
        load_id: i64,
        actor: &str,
        reason: &str,
    ) -> Result<crate::check::Retracted> {
        let r = crate::check::retract_load(
            &self.data_dir,
            &self.catalog,
            &self.config,
            load_id,
            actor,
            reason,
        )
        .await?;
        self.refresh_versions().await?;
        Ok(r)
    }
}
