//! Real public files nobody on the project wrote (`../shared/realdata`): they must load as
//! they are, with the values their publishers printed.

mod common;

use std::collections::BTreeMap;

use common::*;
use purse::ingest::{Options, Status};

fn set(pairs: &[(&str, &str)]) -> Options {
    Options {
        dataset: Some("indicators".into()),
        set: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        ..Default::default()
    }
}

#[test]
fn national_monthly_indicators_all_eleven_series() {
    let dir = tempfile::tempdir().unwrap();
    let folder = realdata("cn_macro_monthly_national");
    let mut n = 0;
    for e in std::fs::read_dir(&folder).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "csv") {
            continue;
        }
        let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
        let meta: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(p.with_extension("meta.json")).unwrap())
                .unwrap();
        let unit = meta["unit"].as_str().unwrap();
        let out = ingest(
            dir.path(),
            std::slice::from_ref(&p),
            &set(&[
                ("indicator_code", &stem),
                ("region_name", "全国"),
                ("unit", unit),
            ]),
        );
        assert_eq!(out[0].status, Status::Loaded, "{stem}: {:#?}", out[0]);
        // Series side by side (money_supply: m2_yoy, m1_yoy, …) become one indicator each.
        let series = std::fs::read_to_string(&p)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .split(',')
            .count() as u64
            - 1;
        let per_date = if series == 6 { 1 } else { series };
        assert_eq!(
            out[0].rows as u64,
            meta["rows"].as_u64().unwrap() * per_date,
            "{stem}"
        );
        n += 1;
    }
    assert_eq!(n, 11);
    let r = query(
        dir.path(),
        "SELECT value, ytd_yoy, jan_feb_combined FROM indicators WHERE indicator_code = 'cpi' AND period = '2026-07'",
    );
    assert_eq!(r[0][0], "100.5000");
    let r = query(
        dir.path(),
        "SELECT ytd_value, ytd_yoy FROM indicators WHERE indicator_code = 'fiscal_revenue' AND period = '2008-02'",
    );
    assert_eq!(r[0], vec!["11555.4000", "40.2000"]);
    let r = query(
        dir.path(),
        "SELECT value FROM indicators WHERE indicator_code = 'm2_yoy' AND period = '2008-01'",
    );
    assert_eq!(r[0][0], "18.9000");
}

#[test]
fn nbs_gbk_exports_with_metadata_block_and_notes() {
    let dir = tempfile::tempdir().unwrap();
    let out = ingest(
        dir.path(),
        &[realdata("cn_nbs_province_finance_gbk")],
        &set(&[]),
    );
    for o in &out {
        assert_eq!(o.status, Status::Loaded, "{o:#?}");
        assert_eq!(o.encoding.as_deref(), Some("GBK/GB18030"));
        assert_eq!(
            (o.rows, o.periods.as_slice()),
            (48, &["2017-12".to_string()][..])
        );
    }
    // Region from the `Region：Anhui` line, unit moved out of the indicator name, notes skipped.
    let r = query(
        dir.path(),
        "SELECT region_name, unit, ytd_value FROM indicators WHERE indicator_name = 'Local Governments Revenue Tax Revenue' ORDER BY region_name",
    );
    assert_eq!(
        r,
        vec![
            vec!["Anhui", "亿元", "1970.6800"],
            vec!["Guangdong", "亿元", "8871.8900"]
        ]
    );
    let r = query(
        dir.path(),
        "SELECT count(*) FROM indicators WHERE indicator_name LIKE 'Note%' OR indicator_name LIKE '%Sources%'",
    );
    assert_eq!(r[0][0], "0");
}

#[test]
fn provincial_final_accounts_xlsx_with_years_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    let out = ingest(
        dir.path(),
        &[realdata("cn_province_final_accounts_xlsx")],
        &set(&[]),
    );
    for o in &out {
        assert_eq!(o.status, Status::Loaded, "{o:#?}");
        assert_eq!(o.periods, vec!["2014-12", "2015-12", "2016-12"]);
        assert_eq!(
            o.totals_skipped, 4,
            "收入总计 / 支出总计 and the 本年合计 rows"
        );
    }
    let r = query(
        dir.path(),
        "SELECT period, ytd_value FROM indicators WHERE region_name = '北京市' AND indicator_name = '一、税收收入' ORDER BY period",
    );
    assert_eq!(r[0], vec!["2014-12", "3861.2900"]);
    assert_eq!(r.len(), 3);
}

#[test]
fn cr_only_line_endings() {
    let dir = tempfile::tempdir().unwrap();
    let p = realdata(
        "foreign_us_daily_treasury_statement/dts_table3a_public_debt_2005-2013_CR-line-endings.csv",
    );
    let lines = std::fs::read(&p)
        .unwrap()
        .iter()
        .filter(|&&b| b == b'\r')
        .count();
    let out = ingest(dir.path(), &[p], &set(&[("region_name", "US")]));
    assert_eq!(out[0].status, Status::Loaded, "{:#?}", out[0]);
    assert_eq!(
        out[0].rows, lines,
        "a header line, then one row per CR (no CR after the last)"
    );
    let r = query(
        dir.path(),
        "SELECT obs_date, value, ytd_value, source_row FROM indicators WHERE indicator_name = 'Regular Series' ORDER BY obs_date LIMIT 1",
    );
    assert_eq!(r[0], vec!["2005-06-09", "63683.0000", "2398186.0000", "2"]);
}

/// The year-end projection on 18 years of the national general public budget revenue (one line a
/// month, its "budget" the year's own outturn, so 100 % is the truth): at months 3–11 the band
/// calibrated on the other held-back years holds at least 90 % of them, and the method (the mean
/// share of up to five earlier years) beats the even pace there. `benches/projection_accuracy.sh`
/// prints the whole table.
#[tokio::test]
async fn the_projection_band_holds_on_national_revenue_history() {
    use datafusion::arrow::datatypes::{Field, Schema};
    use datafusion::datasource::MemTable;
    use purse::foresight::projection::{self, Grain};
    let text =
        std::fs::read_to_string(realdata("cn_macro_monthly_national").join("fiscal_revenue.csv"))
            .unwrap();
    // (year, month) → year-to-date revenue in 亿元 as published (one decimal).
    let ytd: BTreeMap<(i32, u32), String> = text
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let (y, m) = (f[0][..4].parse().ok()?, f[0][5..7].parse().ok()?);
            (!f[4].is_empty()).then(|| ((y, m), f[4].to_string()))
        })
        .collect();
    let ctx = datafusion::prelude::SessionContext::new();
    for ds in &purse::datasets::Catalog::builtin().datasets {
        let fields: Vec<Field> = purse::engine::table_schema(ds)
            .fields()
            .iter()
            .map(|f| f.as_ref().clone().with_nullable(true))
            .collect();
        let t = MemTable::try_new(std::sync::Arc::new(Schema::new(fields)), vec![vec![]]).unwrap();
        ctx.register_table(&ds.name, std::sync::Arc::new(t))
            .unwrap();
    }
    let rows: Vec<String> = ytd
        .iter()
        .filter_map(|(&(y, m), v)| {
            let fin = ytd.get(&(y, 12))?;
            Some(format!(
                "('{y}-{m:02}', '100000', '000001', '2010101', CAST({fin} AS DECIMAL(20, 2)) * 100000000, CAST({v} AS DECIMAL(20, 2)) * 100000000, true)"
            ))
        })
        .collect();
    ctx.sql(&format!(
        "INSERT INTO budget_execution (period, region_code, agency_code, func_code, adjusted_budget, ytd_amount, is_detail) VALUES {}",
        rows.join(",\n")
    ))
    .await
    .unwrap()
    .collect()
    .await
    .unwrap();
    let acc = projection::accuracy(&ctx, "2026-06".parse().unwrap(), &[Grain::Region])
        .await
        .unwrap();
    for m in 3..=11 {
        let a = acc
            .iter()
            .find(|a| a.month == m)
            .unwrap_or_else(|| panic!("month {m}: {acc:?}"));
        // 2016–2025: each with earlier years (the file starts in 2008).
        assert_eq!(a.n, 10, "month {m}");
        assert!(a.coverage >= 90.0, "month {m}: {a:?}");
        assert!(a.mae < a.mae_even, "month {m}: {a:?}");
    }
}

/// Two national series loaded as a new user would (a folder, no --set): each file names no
/// indicator, so each is the series of its file's name, and the second never replaces the
/// first as a corrected delivery of one empty scope. A corrected delivery says what it replaces.
#[test]
fn series_files_without_an_indicator_column_stay_apart() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("series");
    std::fs::create_dir(&folder).unwrap();
    for s in ["cpi", "ppi"] {
        std::fs::copy(
            realdata("cn_macro_monthly_national").join(format!("{s}.csv")),
            folder.join(format!("{s}.csv")),
        )
        .unwrap();
    }
    let opts = Options {
        dataset: Some("indicators".into()),
        set: [("region_name".to_string(), "全国".to_string())].into(),
        ..Default::default()
    };
    let out = ingest(dir.path(), std::slice::from_ref(&folder), &opts);
    assert!(out.iter().all(|o| o.status == Status::Loaded), "{out:#?}");
    assert!(
        out.iter().all(|o| !o.message.contains("replaces")),
        "{out:#?}"
    );
    let loaded: usize = out.iter().map(|o| o.rows).sum();
    let r = query(
        dir.path(),
        "SELECT indicator_name, count(*) FROM indicators GROUP BY 1 ORDER BY 1",
    );
    let stored: usize = r.iter().map(|x| x[1].parse::<usize>().unwrap()).sum();
    assert_eq!(
        r.iter().map(|x| x[0].as_str()).collect::<Vec<_>>(),
        ["cpi", "ppi"]
    );
    assert_eq!(stored, loaded, "every row loaded is still there");
    assert!(
        out[0]
            .issues
            .iter()
            .any(|i| i.reason.contains("its rows are the series `cpi`")),
        "{:#?}",
        out[0].issues
    );
    // The same series again, one value changed: a corrected delivery, and it says so.
    let text = std::fs::read_to_string(folder.join("cpi.csv")).unwrap();
    let corrected = dir.path().join("cpi.csv");
    std::fs::write(&corrected, text.replacen("100.5", "100.6", 1)).unwrap();
    let again = ingest(dir.path(), &[corrected], &opts);
    assert_eq!(again[0].status, Status::Loaded, "{again:#?}");
    assert!(
        again[0]
            .message
            .contains(&format!("replaces load #{}", out[0].load_id.unwrap())),
        "{}",
        again[0].message
    );
}
