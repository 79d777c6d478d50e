//! The canonical datasets: schemas, column docs and header aliases.
//!
//! The catalog lives in `datasets.toml` (compiled in) so that the alias table is data, and a
//! deployment can extend it from `purse.toml` without touching code.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use serde::Deserialize;

use crate::error::{PurseError, Result};

pub mod codes;
pub use codes::Codes;

/// Money: Decimal128(18,2) in 元. 18 digits hold 10^16 元, far above any budget.
pub const MONEY_TYPE: DataType = DataType::Decimal128(18, 2);
/// Rates, indices and quantities: Decimal128(18,4).
pub const NUMBER_TYPE: DataType = DataType::Decimal128(18, 4);
pub const MONEY_SCALE: u32 = 2;
pub const NUMBER_SCALE: u32 = 4;

/// Lineage columns appended to every stored row: which load (→ file, sheet in the manifest) and
/// which row of the source it came from.
pub const LOAD_ID: &str = "load_id";
pub const SOURCE_ROW: &str = "source_row";
/// For datasets with a code hierarchy (类/款/项): true on the finest rows of the extract, so
/// sums over `is_detail` never double count a 类 total and its 款.
pub const IS_DETAIL: &str = "is_detail";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColType {
    Text,
    Code,
    Money,
    Number,
    Int,
    Date,
    Bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum CodeShape {
    /// 支出功能分类: 3/5/7 digits.
    Function,
    /// 经济分类: 3/5 digits.
    Economic,
    /// 收入分类: 3/5/7 digits.
    Revenue,
    /// Any run of digits.
    Digits,
    #[default]
    Any,
}

impl CodeShape {
    /// `None` when the code has the right shape, else what was expected.
    pub fn check(self, code: &str) -> Option<&'static str> {
        let digits = !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit());
        match self {
            CodeShape::Function | CodeShape::Revenue => (!(digits
                && matches!(code.len(), 3 | 5 | 7)))
            .then_some("3, 5 or 7 digits (类/款/项)"),
            CodeShape::Economic => {
                (!(digits && matches!(code.len(), 3 | 5))).then_some("3 or 5 digits (类/款)")
            }
            CodeShape::Digits => (!digits).then_some("digits only"),
            CodeShape::Any => None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: ColType,
    #[serde(default)]
    pub shape: CodeShape,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub fill: Option<String>,
    #[serde(default)]
    pub name_column: Option<String>,
    /// Reference code list the values should come from (unknown codes warn).
    #[serde(default)]
    pub classification: Option<String>,
    pub doc: String,
    #[serde(default)]
    pub aliases: Vec<String>,
}

impl Column {
    pub fn data_type(&self) -> DataType {
        match self.ty {
            ColType::Text | ColType::Code => DataType::Utf8,
            ColType::Money => MONEY_TYPE,
            ColType::Number => NUMBER_TYPE,
            ColType::Int => DataType::Int32,
            ColType::Date => DataType::Date32,
            ColType::Bool => DataType::Boolean,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Unpivot {
    /// The canonical column that receives the group label (e.g. `debt_type`).
    pub column: String,
    /// Header prefixes that name a group (一般债务, 专项债务).
    pub groups: Vec<String>,
    /// Group prefixes whose columns are derived totals and are dropped (合计).
    #[serde(default)]
    pub skip: Vec<String>,
}

/// Long-from-wide by measure: unrecognised numeric columns become one record each, the header
/// going to `key` and the cell to `value`.
#[derive(Debug, Clone, Deserialize)]
pub struct Measures {
    pub key: String,
    /// A column whose presence means the extract names its measures itself.
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Grain {
    Month,
    Year,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Dataset {
    pub name: String,
    pub title: String,
    pub title_en: String,
    pub grain: Grain,
    /// A date column whose month gives each row's period (payments, indicators).
    #[serde(default)]
    pub period_from: Option<String>,
    /// Columns that say which slice of the dataset an extract covers; a later extract for the
    /// same dataset, period and scope replaces the earlier one.
    pub scope: Vec<String>,
    /// Key for the month-over-month ytd continuity check.
    #[serde(default)]
    pub continuity_key: Vec<String>,
    /// Code column with a 类/款/项 hierarchy, checked on load and flagged in `is_detail`.
    #[serde(default)]
    pub hierarchy: Option<String>,
    #[serde(default)]
    pub hierarchy_sum: Vec<String>,
    /// Groups of columns of which at least one must be present.
    #[serde(default)]
    pub one_of: Vec<Vec<String>>,
    #[serde(default)]
    pub unpivot: Option<Unpivot>,
    #[serde(default)]
    pub measures: Option<Measures>,
    #[serde(rename = "column")]
    pub columns: Vec<Column>,
}

impl Dataset {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The schema of the Parquet files (without the `period` partition column).
    pub fn file_schema(&self) -> SchemaRef {
        let mut fields: Vec<Field> = self
            .columns
            .iter()
            .map(|c| Field::new(&c.name, c.data_type(), true))
            .collect();
        if self.hierarchy.is_some() {
            fields.push(Field::new(IS_DETAIL, DataType::Boolean, false));
        }
        fields.push(Field::new(LOAD_ID, DataType::Int64, false));
        fields.push(Field::new(SOURCE_ROW, DataType::Int32, false));
        Arc::new(Schema::new(fields))
    }
}

#[derive(Debug, Deserialize)]
struct CatalogFile {
    dataset: Vec<Dataset>,
}

/// All datasets, with the deployment's extra aliases merged in, and the reference code lists.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub datasets: Vec<Dataset>,
    /// The classification lists (政府收支分类科目): the built-in one, with a deployment's own
    /// codes added from `DIR/classification.csv`.
    pub codes: Codes,
}

impl Catalog {
    pub fn builtin() -> Catalog {
        let file: CatalogFile =
            toml::from_str(include_str!("datasets.toml")).expect("datasets.toml is valid (tested)");
        Catalog {
            datasets: file.dataset,
            codes: Codes::parse(include_str!("classification.csv"))
                .expect("classification.csv is valid (tested)"),
        }
    }

    /// A deployment's catalog: the built-in one with its `purse.toml` aliases and its own codes
    /// (`DIR/classification.csv`).
    pub fn of_deployment(
        dir: &std::path::Path,
        aliases: &BTreeMap<String, Vec<String>>,
    ) -> Result<Catalog> {
        let mut cat = Catalog::with_aliases(aliases)?;
        cat.add_codes_from(dir)?;
        Ok(cat)
    }

    /// Adds a deployment's own codes from `DIR/classification.csv`, when there is one (same
    /// columns as the built-in list: `kind,code,name,parent[,until,successor]`).
    pub fn add_codes_from(&mut self, dir: &std::path::Path) -> Result<()> {
        let path = dir.join("classification.csv");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(PurseError::io(&path, e)),
        };
        self.codes
            .add(&text)
            .map_err(|e| PurseError::Config(format!("{}: {e}", path.display())))
    }

    /// Builtin catalog plus aliases from `purse.toml`: `{"budget_execution.ytd_amount": ["…"]}`.
    pub fn with_aliases(extra: &BTreeMap<String, Vec<String>>) -> Result<Catalog> {
        let mut cat = Catalog::builtin();
        for (key, aliases) in extra {
            let (ds, col) = key.split_once('.').ok_or_else(|| {
                PurseError::Config(format!("alias key `{key}` must be dataset.column"))
            })?;
            let d = cat
                .datasets
                .iter_mut()
                .find(|d| d.name == ds)
                .ok_or_else(|| {
                    PurseError::Config(format!("alias key `{key}`: unknown dataset `{ds}`"))
                })?;
            let c = d
                .columns
                .iter_mut()
                .find(|c| c.name == col)
                .ok_or_else(|| {
                    PurseError::Config(format!(
                        "alias key `{key}`: dataset `{ds}` has no column `{col}`"
                    ))
                })?;
            c.aliases.extend(aliases.iter().cloned());
        }
        Ok(cat)
    }

    pub fn get(&self, name: &str) -> Result<&Dataset> {
        self.datasets
            .iter()
            .find(|d| d.name == name)
            .ok_or_else(|| PurseError::UnknownDataset {
                name: name.to_string(),
                known: self.names().join(", "),
            })
    }

    pub fn names(&self) -> Vec<&str> {
        self.datasets.iter().map(|d| d.name.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_parses_and_is_consistent() {
        let cat = Catalog::builtin();
        assert_eq!(cat.datasets.len(), 19);
        for d in &cat.datasets {
            for c in &d.columns {
                if let Some(n) = &c.name_column {
                    assert!(
                        d.column(n).is_some(),
                        "{}.{} names missing {n}",
                        d.name,
                        c.name
                    );
                }
                assert!(!c.aliases.is_empty(), "{}.{} has no alias", d.name, c.name);
            }
            for s in d
                .scope
                .iter()
                .chain(&d.continuity_key)
                .chain(&d.hierarchy_sum)
            {
                assert!(d.column(s).is_some(), "{}: unknown column {s}", d.name);
            }
            if let Some(p) = &d.period_from {
                assert_eq!(d.column(p).map(|c| c.ty), Some(ColType::Date));
            }
        }
    }

    #[test]
    fn code_shapes() {
        assert_eq!(CodeShape::Function.check("2010101"), None);
        assert!(CodeShape::Function.check("201010").is_some());
        assert!(CodeShape::Economic.check("3021").is_some());
        assert_eq!(CodeShape::Economic.check("30217"), None);
        assert!(CodeShape::Digits.check("A12").is_some());
    }
}
