//! Rows left out of every indicator, with their reason (extracts.md, "Rejects").
//!
//! A reject carries where the row was (table, file, row number), its key and the reason —
//! never the row's values, so that no personal identifier of an extract reaches an output.

use std::sync::Arc;

use datafusion::arrow::array::{Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};

/// One rejected row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    pub table: &'static str,
    /// Path relative to the input root.
    pub source_file: String,
    /// 1-based row number within the file.
    pub row_number: i64,
    pub caisse_id: Option<String>,
    /// The record's id (`claim_id`, …) or year for yearly tables.
    pub record_key: Option<String>,
    /// The column at fault.
    pub column: Option<String>,
    pub reason: String,
}

/// The rejects of one table, in file then row order (the order they were found in).
#[derive(Debug, Clone, Default)]
pub struct RejectLog {
    pub rows: Vec<Reject>,
}

impl RejectLog {
    pub fn push(&mut self, reject: Reject) {
        self.rows.push(reject);
    }

    pub fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("table", DataType::Utf8, false),
            Field::new("source_file", DataType::Utf8, false),
            Field::new("row_number", DataType::Int64, false),
            Field::new("caisse_id", DataType::Utf8, true),
            Field::new("record_key", DataType::Utf8, true),
            Field::new("column", DataType::Utf8, true),
            Field::new("reason", DataType::Utf8, false),
        ]))
    }

    /// The rejects as one batch, sorted by file and row (already their order).
    pub fn to_batch(&self) -> RecordBatch {
        let r = &self.rows;
        RecordBatch::try_new(
            Self::schema(),
            vec![
                Arc::new(StringArray::from_iter_values(r.iter().map(|x| x.table))),
                Arc::new(StringArray::from_iter_values(
                    r.iter().map(|x| x.source_file.as_str()),
                )),
                Arc::new(Int64Array::from_iter_values(r.iter().map(|x| x.row_number))),
                Arc::new(StringArray::from_iter(
                    r.iter().map(|x| x.caisse_id.as_deref()),
                )),
                Arc::new(StringArray::from_iter(
                    r.iter().map(|x| x.record_key.as_deref()),
                )),
                Arc::new(StringArray::from_iter(
                    r.iter().map(|x| x.column.as_deref()),
                )),
                Arc::new(StringArray::from_iter_values(
                    r.iter().map(|x| x.reason.as_str()),
                )),
            ],
        )
        .expect("reject columns match their schema")
    }

    /// Reasons with their counts, most frequent first (for the summary and the manifest).
    pub fn reason_counts(&self) -> Vec<(String, u64)> {
        let mut counts: std::collections::BTreeMap<String, u64> = Default::default();
        for r in &self.rows {
            // Group "unknown code 'X' …" by its column and kind, not by the value.
            let kind = r
                .reason
                .split(['\'', '('])
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
            let label = match &r.column {
                Some(c) => format!("{c}: {kind}"),
                None => kind,
            };
            *counts.entry(label).or_default() += 1;
        }
        let mut v: Vec<_> = counts.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }
}
