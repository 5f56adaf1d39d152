//! The `benchmark` and `benchmark_ranks` tables (outputs.md) as Arrow.

use std::sync::Arc;

use datafusion::arrow::array::{Float64Array, Int32Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::assess::benchmark::{BenchmarkRow, RankRow};

pub fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("indicator_id", DataType::Utf8, false),
        Field::new("definition", DataType::Utf8, false),
        Field::new("year", DataType::Int32, false),
        Field::new("scope", DataType::Utf8, false),
        Field::new("unit", DataType::Utf8, false),
        Field::new("direction", DataType::Utf8, false),
        Field::new("n_caisses", DataType::Int64, false),
        Field::new("mean", DataType::Float64, false),
        Field::new("stddev", DataType::Float64, false),
        Field::new("cv", DataType::Float64, true),
        Field::new("min", DataType::Float64, false),
        Field::new("p25", DataType::Float64, false),
        Field::new("median", DataType::Float64, false),
        Field::new("p75", DataType::Float64, false),
        Field::new("max", DataType::Float64, false),
        Field::new("best_caisse", DataType::Utf8, true),
        Field::new("worst_caisse", DataType::Utf8, true),
    ]))
}

pub fn to_batch(rows: &[BenchmarkRow]) -> RecordBatch {
    let f =
        |g: fn(&BenchmarkRow) -> f64| Arc::new(Float64Array::from_iter_values(rows.iter().map(g)));
    RecordBatch::try_new(
        schema(),
        vec![
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.indicator_id.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.definition.as_str()),
            )),
            Arc::new(Int32Array::from_iter_values(rows.iter().map(|r| r.year))),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.scope.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.unit))),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.direction.as_str()),
            )),
            Arc::new(Int64Array::from_iter_values(
                rows.iter().map(|r| r.n_caisses),
            )),
            f(|r| r.mean),
            f(|r| r.stddev),
            Arc::new(Float64Array::from_iter(rows.iter().map(|r| r.cv))),
            f(|r| r.min),
            f(|r| r.p25),
            f(|r| r.median),
            f(|r| r.p75),
            f(|r| r.max),
            Arc::new(StringArray::from_iter(
                rows.iter().map(|r| r.best_caisse.as_deref()),
            )),
            Arc::new(StringArray::from_iter(
                rows.iter().map(|r| r.worst_caisse.as_deref()),
            )),
        ],
    )
    .expect("benchmark columns match their schema")
}

pub fn ranks_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("indicator_id", DataType::Utf8, false),
        Field::new("definition", DataType::Utf8, false),
        Field::new("year", DataType::Int32, false),
        Field::new("scope", DataType::Utf8, false),
        Field::new("caisse_id", DataType::Utf8, false),
        Field::new("organism", DataType::Utf8, false),
        Field::new("value", DataType::Float64, false),
        Field::new("rank", DataType::Int64, true),
    ]))
}

pub fn ranks_to_batch(rows: &[RankRow]) -> RecordBatch {
    RecordBatch::try_new(
        ranks_schema(),
        vec![
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.indicator_id.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.definition.as_str()),
            )),
            Arc::new(Int32Array::from_iter_values(rows.iter().map(|r| r.year))),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.scope.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.caisse_id.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.organism.as_str()),
            )),
            Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.value))),
            Arc::new(Int64Array::from_iter(rows.iter().map(|r| r.rank))),
        ],
    )
    .expect("rank columns match their schema")
}
