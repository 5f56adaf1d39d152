//! The `indicator_values` table (outputs.md): one row per indicator × definition × level ×
//! unit of comparison × period, in a stable order.

use std::sync::Arc;

use datafusion::arrow::array::{
    BooleanArray, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::catalogue::Unit;

/// Unit of comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Caisse,
    Organism,
    National,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Caisse => "caisse",
            Level::Organism => "organism",
            Level::National => "national",
        }
    }
}

/// One row of `indicator_values`.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorValue {
    pub indicator_id: String,
    pub definition: String,
    pub level: Level,
    pub caisse_id: Option<String>,
    pub organism: Option<String>,
    pub dimension: Option<String>,
    pub dimension_value: Option<String>,
    pub year: i32,
    pub month: Option<i32>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub value: f64,
    pub unit: Unit,
    pub n_records: i64,
    pub target_op: Option<String>,
    pub target: Option<f64>,
    pub target_met: Option<bool>,
    pub suppressed: bool,
}

impl IndicatorValue {
    /// `2024` or `2024-03`.
    pub fn period(&self) -> String {
        match self.month {
            None => format!("{}", self.year),
            Some(m) => format!("{}-{m:02}", self.year),
        }
    }

    /// The stable order of the table: indicator, definition, level, organism, caisse,
    /// whole before breakdowns, year before its months.
    pub fn sort_key(&self) -> impl Ord + '_ {
        (
            &self.indicator_id,
            &self.definition,
            self.level,
            &self.organism,
            &self.caisse_id,
            &self.dimension,
            &self.dimension_value,
            self.year,
            self.month,
        )
    }
}

/// Sorts values into the table's stable order.
pub fn sort(values: &mut [IndicatorValue]) {
    values.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}

/// The contract schema of `indicator_values` (outputs.md; `year` is also the partition column,
/// kept inside the files for BI tools).
pub fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("indicator_id", DataType::Utf8, false),
        Field::new("definition", DataType::Utf8, false),
        Field::new("level", DataType::Utf8, false),
        Field::new("caisse_id", DataType::Utf8, true),
        Field::new("organism", DataType::Utf8, true),
        Field::new("dimension", DataType::Utf8, true),
        Field::new("dimension_value", DataType::Utf8, true),
        Field::new("period", DataType::Utf8, false),
        Field::new("year", DataType::Int32, false),
        Field::new("month", DataType::Int32, true),
        Field::new("numerator", DataType::Float64, true),
        Field::new("denominator", DataType::Float64, true),
        Field::new("value", DataType::Float64, true),
        Field::new("unit", DataType::Utf8, false),
        Field::new("n_records", DataType::Int64, false),
        Field::new("target_op", DataType::Utf8, true),
        Field::new("target", DataType::Float64, true),
        Field::new("target_met", DataType::Boolean, true),
        Field::new("suppressed", DataType::Boolean, false),
    ]))
}

/// Values (already sorted) as one batch of the contract schema.
pub fn to_batch(values: &[IndicatorValue]) -> RecordBatch {
    let v = values;
    RecordBatch::try_new(
        schema(),
        vec![
            Arc::new(StringArray::from_iter_values(
                v.iter().map(|x| x.indicator_id.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                v.iter().map(|x| x.definition.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                v.iter().map(|x| x.level.as_str()),
            )),
            Arc::new(StringArray::from_iter(
                v.iter().map(|x| x.caisse_id.as_deref()),
            )),
            Arc::new(StringArray::from_iter(
                v.iter().map(|x| x.organism.as_deref()),
            )),
            Arc::new(StringArray::from_iter(
                v.iter().map(|x| x.dimension.as_deref()),
            )),
            Arc::new(StringArray::from_iter(
                v.iter().map(|x| x.dimension_value.as_deref()),
            )),
            Arc::new(StringArray::from_iter_values(v.iter().map(|x| x.period()))),
            Arc::new(Int32Array::from_iter_values(v.iter().map(|x| x.year))),
            Arc::new(Int32Array::from_iter(v.iter().map(|x| x.month))),
            Arc::new(Float64Array::from_iter(v.iter().map(|x| x.numerator))),
            Arc::new(Float64Array::from_iter(v.iter().map(|x| x.denominator))),
            Arc::new(Float64Array::from_iter_values(v.iter().map(|x| x.value))),
            Arc::new(StringArray::from_iter_values(
                v.iter().map(|x| x.unit.as_str()),
            )),
            Arc::new(Int64Array::from_iter_values(v.iter().map(|x| x.n_records))),
            Arc::new(StringArray::from_iter(
                v.iter().map(|x| x.target_op.as_deref()),
            )),
            Arc::new(Float64Array::from_iter(v.iter().map(|x| x.target))),
            Arc::new(BooleanArray::from_iter(v.iter().map(|x| x.target_met))),
            Arc::new(BooleanArray::from_iter(
                v.iter().map(|x| Some(x.suppressed)),
            )),
        ],
    )
    .expect("indicator_values columns match their schema")
}
