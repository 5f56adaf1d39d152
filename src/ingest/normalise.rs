//! Normalisation: every contract column cast to its canonical Arrow type before any row rule
//! runs (extracts.md, "Types below are Arrow logical types").
//!
//! A file may carry any physical type the contract accepts for a column (`large_utf8`, an
//! unsigned integer, a decimal, a timezone-aware timestamp, …); the rules and the compute
//! engine only ever see the canonical one ([`LogicalType::canonical`]). Timezone-aware
//! timestamps become Europe/Paris wall-clock times. A value that does not fit its canonical
//! type is not nulled: its row is marked, and the row rules reject it (`super::rules`).

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, TimeUnit, TimestampMicrosecondType};

use crate::contract::{LogicalType, TableSpec};
use crate::error::IngestError;

pub(super) const MICROS_PER_DAY: i64 = 86_400_000_000;

/// The contract's columns of one batch, cast to their canonical types.
pub(super) struct Canonical {
    /// Contract order; a nullable column absent from the file is all null.
    pub columns: Vec<ArrayRef>,
    /// For each column, the rows whose value did not fit its canonical type (`None`: none).
    pub lost: Vec<Option<BooleanArray>>,
}

/// The contract's columns of one batch (contract order; `None`: a nullable column absent from
/// the file, read as null) cast to their canonical types, and for each the rows whose value
/// did not fit that type (an unsigned integer above `i64::MAX`, a timestamp beyond year 262 000):
/// those rows are rejected, not nulled.
pub(super) fn canonical_columns(
    spec: &TableSpec,
    file_name: &str,
    arrays: &[Option<ArrayRef>],
    n: usize,
) -> Result<Canonical, IngestError> {
    let mut columns = Vec::with_capacity(spec.columns.len());
    let mut lost = Vec::with_capacity(spec.columns.len());
    for (c, array) in spec.columns.iter().zip(arrays) {
        let Some(array) = array else {
            columns.push(datafusion::arrow::array::new_null_array(
                &c.ty.canonical(),
                n,
            ));
            lost.push(None);
            continue;
        };
        let cast = normalise(array, c.ty).map_err(|e| IngestError::Decode {
            file: file_name.to_string(),
            message: format!("column '{}': {e}", c.name),
        })?;
        let (before, after) = (array.logical_nulls(), cast.logical_nulls());
        let count = |nulls: &Option<NullBuffer>| nulls.as_ref().map_or(0, |b| b.null_count());
        lost.push((count(&after) > count(&before)).then(|| {
            (0..n)
                .map(|i| {
                    let was = before.as_ref().is_none_or(|b| b.is_valid(i));
                    let is = after.as_ref().is_none_or(|b| b.is_valid(i));
                    Some(was && !is)
                })
                .collect()
        }));
        columns.push(cast);
    }
    Ok(Canonical { columns, lost })
}

/// Casts a column to its canonical type. Timezone-aware timestamps are converted to the
/// Europe/Paris wall clock first (extracts.md), then truncated to the date for date columns.
fn normalise(array: &ArrayRef, ty: LogicalType) -> Result<ArrayRef, String> {
    let e = |e: datafusion::arrow::error::ArrowError| e.to_string();
    match (ty, array.data_type()) {
        (LogicalType::Date | LogicalType::Timestamp, DataType::Timestamp(_, tz)) => {
            let micros = cast(
                array,
                &DataType::Timestamp(TimeUnit::Microsecond, tz.clone()),
            )
            .map_err(e)?;
            let micros = micros.as_primitive::<TimestampMicrosecondType>();
            let local: Vec<Option<i64>> = match tz {
                None => micros.iter().collect(),
                Some(_) => micros.iter().map(|v| v.map(utc_to_paris)).collect(),
            };
            Ok(if ty == LogicalType::Date {
                Arc::new(datafusion::arrow::array::Date32Array::from(
                    local
                        .into_iter()
                        .map(|v| v.map(|us| us.div_euclid(MICROS_PER_DAY) as i32))
                        .collect::<Vec<_>>(),
                ))
            } else {
                Arc::new(datafusion::arrow::array::TimestampMicrosecondArray::from(
                    local,
                ))
            })
        }
        // arrow's Date64 → Timestamp(µs) cast multiplies without an overflow check (a panic in
        // debug, a wrapped value in release, found by the fuzz target): converted here, a value
        // out of range becomes null and its row is rejected as out of range.
        (LogicalType::Timestamp, DataType::Date64) => Ok(Arc::new(
            datafusion::arrow::array::TimestampMicrosecondArray::from(
                array
                    .as_primitive::<datafusion::arrow::datatypes::Date64Type>()
                    .iter()
                    .map(|ms| ms.and_then(|ms| ms.checked_mul(1_000)))
                    .collect::<Vec<_>>(),
            ),
        )),
        _ => cast(array, &ty.canonical()).map_err(e),
    }
}

/// A UTC instant (microseconds) as the Europe/Paris wall-clock time of that instant.
fn utc_to_paris(micros: i64) -> i64 {
    use chrono::TimeZone;
    match chrono::Utc.timestamp_micros(micros).single() {
        Some(utc) => utc
            .with_timezone(&chrono_tz::Europe::Paris)
            .naive_local()
            .and_utc()
            .timestamp_micros(),
        None => micros,
    }
}
