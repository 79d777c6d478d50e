//! One cell of a query's answer as the pages, the report and the exports show it: read from any
//! Arrow batch, money kept exact.

use datafusion::arrow::array::{
    Array, AsArray, BooleanArray, Decimal128Array, Float64Array, Int32Array, Int64Array,
    RecordBatch,
};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int32Type, Int64Type};

use super::money::{Money, decimal_text};

/// One cell of a figure query.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Text(String),
    Int(i64),
    Money(Money),
    /// A decimal of another scale (rates, indices: Decimal128(18,4)), kept exact to the edge.
    Dec(i128, i8),
    Num(f64),
    Bool(bool),
}

impl Val {
    pub fn text(&self) -> String {
        match self {
            Val::Null => String::new(),
            Val::Text(s) => s.clone(),
            Val::Int(i) => i.to_string(),
            Val::Money(m) => m.yuan(),
            Val::Dec(v, scale) => decimal_text(*v, *scale),
            Val::Num(f) => format!("{f}"),
            Val::Bool(b) => b.to_string(),
        }
    }
    pub fn money(&self) -> Money {
        match self {
            Val::Money(m) => *m,
            Val::Int(i) => Money(*i as i128 * 100),
            _ => Money(0),
        }
    }
    pub fn num(&self) -> Option<f64> {
        match self {
            Val::Num(f) if f.is_finite() => Some(*f),
            Val::Int(i) => Some(*i as f64),
            Val::Money(m) => Some(m.0 as f64 / 100.0),
            Val::Dec(v, scale) => Some(*v as f64 / 10f64.powi(*scale as i32)),
            _ => None,
        }
    }
    pub fn int(&self) -> i64 {
        match self {
            Val::Int(i) => *i,
            _ => 0,
        }
    }
}

/// Reads any batch into rows of [`Val`]. Decimals with scale 2 are money; other decimals stay
/// exact decimals; floats are numbers.
pub fn values(batches: &[RecordBatch]) -> Vec<Vec<Val>> {
    let mut out = Vec::new();
    for b in batches {
        let cols: Vec<Box<dyn Fn(usize) -> Val + '_>> = b
            .columns()
            .iter()
            .map(|c| column_reader(c.as_ref()))
            .collect();
        for r in 0..b.num_rows() {
            out.push(cols.iter().map(|f| f(r)).collect());
        }
    }
    out
}

fn column_reader(a: &dyn Array) -> Box<dyn Fn(usize) -> Val + '_> {
    let null = move |r: usize| a.is_null(r);
    match a.data_type() {
        DataType::Utf8 => {
            let s = a.as_string::<i32>();
            Box::new(move |r| {
                if null(r) {
                    Val::Null
                } else {
                    Val::Text(s.value(r).to_string())
                }
            })
        }
        DataType::LargeUtf8 => {
            let s = a.as_string::<i64>();
            Box::new(move |r| {
                if null(r) {
                    Val::Null
                } else {
                    Val::Text(s.value(r).to_string())
                }
            })
        }
        DataType::Utf8View => {
            let s = a.as_string_view();
            Box::new(move |r| {
                if null(r) {
                    Val::Null
                } else {
                    Val::Text(s.value(r).to_string())
                }
            })
        }
        DataType::Int64 => {
            let x: &Int64Array = a.as_primitive::<Int64Type>();
            Box::new(move |r| {
                if null(r) {
                    Val::Null
                } else {
                    Val::Int(x.value(r))
                }
            })
        }
        DataType::Int32 => {
            let x: &Int32Array = a.as_primitive::<Int32Type>();
            Box::new(move |r| {
                if null(r) {
                    Val::Null
                } else {
                    Val::Int(x.value(r) as i64)
                }
            })
        }
        DataType::Float64 => {
            let x: &Float64Array = a.as_primitive::<Float64Type>();
            Box::new(move |r| {
                if null(r) {
                    Val::Null
                } else {
                    Val::Num(x.value(r))
                }
            })
        }
        DataType::Decimal128(_, scale) => {
            let scale = *scale;
            let x: &Decimal128Array = a.as_any().downcast_ref().expect("decimal128 array");
            Box::new(move |r| {
                if null(r) {
                    return Val::Null;
                }
                let v = x.value(r);
                if scale == 2 {
                    Val::Money(Money(v))
                } else {
                    Val::Dec(v, scale)
                }
            })
        }
        DataType::Boolean => {
            let x: &BooleanArray = a.as_boolean();
            Box::new(move |r| {
                if null(r) {
                    Val::Null
                } else {
                    Val::Bool(x.value(r))
                }
            })
        }
        _ => {
            use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
            let f = ArrayFormatter::try_new(a, &FormatOptions::default()).ok();
            Box::new(move |r| match (&f, null(r)) {
                (Some(f), false) => Val::Text(f.value(r).to_string()),
                _ => Val::Null,
            })
        }
    }
}
