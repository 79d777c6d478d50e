//! Writing workbooks: one sheet per table, a bold frozen header, money as numbers formatted
//! `#,##0.00`. The report, the exports of alert and problem lists and the console's results all
//! write through here.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet};

use super::val::Val;
use crate::error::{PurseError, Result};

/// A writer's error as ours.
pub fn xerr(e: rust_xlsxwriter::XlsxError) -> PurseError {
    PurseError::Invalid(format!("writing XLSX: {e}"))
}

/// One row of cells from column 0; money with the `money` format.
pub fn write_row(ws: &mut Worksheet, row: u32, vals: &[Val], money: &Format) -> Result<()> {
    for (c, v) in vals.iter().enumerate() {
        let c = c as u16;
        match v {
            Val::Null => {}
            Val::Text(s) => {
                ws.write_string(row, c, s).map_err(xerr)?;
            }
            Val::Int(i) => {
                ws.write_number(row, c, *i as f64).map_err(xerr)?;
            }
            Val::Money(m) => {
                ws.write_number_with_format(row, c, m.0 as f64 / 100.0, money)
                    .map_err(xerr)?;
            }
            Val::Num(f) => {
                ws.write_number(row, c, *f).map_err(xerr)?;
            }
            Val::Dec(..) => {
                ws.write_number(row, c, v.num().unwrap_or(0.0))
                    .map_err(xerr)?;
            }
            Val::Bool(b) => {
                ws.write_boolean(row, c, *b).map_err(xerr)?;
            }
        }
    }
    Ok(())
}

/// A sheet with a bold, frozen header row and the rows under it.
pub fn add_sheet(
    wb: &mut Workbook,
    name: &str,
    header: &[String],
    rows: &[Vec<Val>],
) -> Result<()> {
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    let ws = wb.add_worksheet();
    ws.set_name(name).map_err(xerr)?;
    for (c, hname) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, hname, &bold)
            .map_err(xerr)?;
        ws.set_column_width(c as u16, 16).map_err(xerr)?;
    }
    for (r, vals) in rows.iter().enumerate() {
        write_row(ws, r as u32 + 1, vals, &money)?;
    }
    ws.set_freeze_panes(1, 0).map_err(xerr)?;
    Ok(())
}

/// One sheet with a header row: used for exports of alert lists and console results.
pub fn table(name: &str, header: &[String], rows: &[Vec<Val>]) -> Result<Vec<u8>> {
    sheets(&[(name, header, rows)])
}

/// A sheet to write: its name, header and rows.
pub type SheetSpec<'a> = (&'a str, &'a [String], &'a [Vec<Val>]);

/// Several sheets, each with a header row (the problem and rectification lists).
pub fn sheets(sheets: &[SheetSpec<'_>]) -> Result<Vec<u8>> {
    let mut wb = Workbook::new();
    // An export is dated the day it is made.
    wb.set_properties(&props(chrono::Local::now().date_naive())?);
    for (name, header, rows) in sheets {
        add_sheet(&mut wb, name, header, rows)?;
    }
    wb.save_to_buffer().map_err(xerr)
}

/// Document properties with a given creation date: the report's own date, so the same report
/// is the same bytes whenever it is made.
pub fn props(d: chrono::NaiveDate) -> Result<DocProperties> {
    use chrono::Datelike;
    let date =
        ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8).map_err(xerr)?;
    Ok(DocProperties::new()
        .set_creation_datetime(&date)
        .set_author("purse"))
}
