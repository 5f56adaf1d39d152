//! The `indicator_values` table (outputs.md) as Arrow: one row per indicator × definition ×
//! level × entity × breakdown value × period, in the stable order of [`crate::model::sort`].

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, AsArray, BooleanArray, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::arrow::datatypes::{
    DataType, Field, Float64Type, Int32Type, Int64Type, Schema, SchemaRef,
};

use crate::error::PublishError;
use crate::model::{IndicatorValue, Level, Unit};
use crate::publish::parquet::read_file;

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

/// Reads `indicator_values/year=*/part-*.parquet` of an output folder.
pub fn read(output: &Path) -> Result<Vec<IndicatorValue>, PublishError> {
    let dir = output.join("indicator_values");
    let io = |e: std::io::Error| PublishError::Io {
        path: dir.clone(),
        source: e,
    };
    let mut files = Vec::new();
    for year in std::fs::read_dir(&dir).map_err(io)? {
        let year = year.map_err(io)?.path();
        for part in std::fs::read_dir(&year).map_err(io)? {
            files.push(part.map_err(io)?.path());
        }
    }
    files.sort();
    let mut out = Vec::new();
    for file in files {
        for b in read_file(&file)? {
            let s = |name: &str| {
                b.column_by_name(name)
                    .expect("contract column")
                    .as_string::<i32>()
                    .clone()
            };
            let f = |name: &str| {
                b.column_by_name(name)
                    .expect("contract column")
                    .as_primitive::<Float64Type>()
                    .clone()
            };
            let (id, def, level, caisse, org, dim, dim_value, unit, op) = (
                s("indicator_id"),
                s("definition"),
                s("level"),
                s("caisse_id"),
                s("organism"),
                s("dimension"),
                s("dimension_value"),
                s("unit"),
                s("target_op"),
            );
            let (num, den, value, target) =
                (f("numerator"), f("denominator"), f("value"), f("target"));
            let year = b
                .column_by_name("year")
                .expect("year")
                .as_primitive::<Int32Type>()
                .clone();
            let month = b
                .column_by_name("month")
                .expect("month")
                .as_primitive::<Int32Type>()
                .clone();
            let n = b
                .column_by_name("n_records")
                .expect("n_records")
                .as_primitive::<Int64Type>()
                .clone();
            let met = b
                .column_by_name("target_met")
                .expect("target_met")
                .as_boolean()
                .clone();
            let suppressed = b
                .column_by_name("suppressed")
                .expect("suppressed")
                .as_boolean()
                .clone();
            let opt_s = |a: &StringArray, i: usize| a.is_valid(i).then(|| a.value(i).to_string());
            let opt_f = |a: &datafusion::arrow::array::Float64Array, i: usize| {
                a.is_valid(i).then(|| a.value(i))
            };
            for i in 0..b.num_rows() {
                out.push(IndicatorValue {
                    indicator_id: id.value(i).to_string(),
                    definition: def.value(i).to_string(),
                    level: match level.value(i) {
                        "caisse" => Level::Caisse,
                        "organism" => Level::Organism,
                        _ => Level::National,
                    },
                    caisse_id: opt_s(&caisse, i),
                    organism: opt_s(&org, i),
                    dimension: opt_s(&dim, i),
                    dimension_value: opt_s(&dim_value, i),
                    year: year.value(i),
                    month: month.is_valid(i).then(|| month.value(i)),
                    numerator: opt_f(&num, i),
                    denominator: opt_f(&den, i),
                    value: value.value(i),
                    unit: unit_of(unit.value(i)),
                    n_records: n.value(i),
                    target_op: opt_s(&op, i),
                    target: opt_f(&target, i),
                    target_met: met.is_valid(i).then(|| met.value(i)),
                    suppressed: suppressed.value(i),
                });
            }
        }
    }
    Ok(out)
}

fn unit_of(text: &str) -> Unit {
    match text {
        "%" => Unit::Percent,
        "days" => Unit::Days,
        "eur" => Unit::Eur,
        "etp" => Unit::Etp,
        "count" => Unit::Count,
        "pt" => Unit::Pt,
        _ => Unit::Ratio,
    }
}
