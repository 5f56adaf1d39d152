//! The sequential step of the checks, after the row rules (`super::rules`, in parallel):
//! batches arrive in path order, the duplicate check runs on them (`super::duplicates`), each
//! rejected row is logged with its reason, the counts are kept reconciled
//! (`rows_read = rows_accepted + rows_rejected`), and the accepted rows leave with the
//! reference columns appended.
//!
//! [`check_batch`] runs every check on one batch exactly as a run does: the entry point of the
//! fuzz target (`fuzz/`) and of the property tests of the row validation.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, BooleanArray, BooleanBuilder, RecordBatch, StringArray};
use datafusion::arrow::datatypes::SchemaRef;

use super::duplicates::DuplicateCheck;
use super::latest::LatestEvents;
use super::normalise::{Canonical, canonical_columns};
use super::reference::Reference;
use super::rejects::RejectLog;
use super::rules::{self, Failure, KeyColumns, Verdict, record_keys, rule_verdicts};
use super::scan::RowPosition;
use super::table::{TableCounts, TableSource};
use crate::contract::TableSpec;
use crate::error::IngestError;

/// What checking one batch gave: the accepted rows (with the reference columns appended), the
/// rejects and the counts.
#[derive(Debug)]
pub struct CheckedBatch {
    pub accepted: Option<RecordBatch>,
    pub rejects: RejectLog,
    pub counts: TableCounts,
}

/// Checks one batch of a table's rows exactly as a run does — cast to the canonical types,
/// then every row rule — on arrays of any physical type the contract accepts (`None`: a
/// nullable column absent). The entry point of the fuzz target (`fuzz/`) and of the property
/// tests of the row validation.
pub fn check_batch(
    spec: &'static TableSpec,
    reference: Arc<Reference>,
    file_name: &str,
    arrays: &[Option<ArrayRef>],
) -> Result<CheckedBatch, IngestError> {
    let n = arrays.iter().flatten().map(|a| a.len()).next().unwrap_or(0);
    // The schema check a file's footer gets (`super::discover`), on the arrays given.
    for (c, array) in spec.columns.iter().zip(arrays) {
        match array {
            Some(a) if !c.ty.accepts(a.data_type()) || a.len() != n => {
                return Err(IngestError::WrongType {
                    file: file_name.to_string(),
                    table: spec.name.to_string(),
                    column: c.name.to_string(),
                    expected: c.ty.contract_name(),
                    found: format!("{} of {} rows", a.data_type(), a.len()),
                });
            }
            None if c.required => {
                return Err(IngestError::MissingColumn {
                    file: file_name.to_string(),
                    table: spec.name.to_string(),
                    column: c.name.to_string(),
                    expected: c.ty.contract_name(),
                    nullability: "non-null",
                });
            }
            _ => {}
        }
    }
    let Canonical { columns, lost } = canonical_columns(spec, file_name, arrays, n)?;
    let mut validator = Validator::new(
        spec,
        TableSource::output_schema(spec),
        reference,
        DuplicateCheck::default(),
    );
    let verdicts = rule_verdicts(spec, &validator.reference, &columns, &lost);
    let keys = record_keys(spec, &columns, &verdicts);
    let accepted =
        validator.check_verdicts(file_name, RowPosition::FIRST, &columns, verdicts, &keys)?;
    Ok(CheckedBatch {
        accepted,
        rejects: validator.log,
        counts: validator.counts,
    })
}

/// The state of the sequential checks over one table: the duplicate check, the rejects and the
/// counts.
pub(super) struct Validator {
    pub spec: &'static TableSpec,
    /// The stream's schema: contract columns, then the reference columns.
    pub schema: SchemaRef,
    pub reference: Arc<Reference>,
    pub duplicates: DuplicateCheck,
    pub log: RejectLog,
    pub counts: TableCounts,
    /// The latest event day of each caisse's accepted rows (the default as-of date).
    pub latest: LatestEvents,
}

impl Validator {
    pub(super) fn new(
        spec: &'static TableSpec,
        schema: SchemaRef,
        reference: Arc<Reference>,
        duplicates: DuplicateCheck,
    ) -> Self {
        let latest = LatestEvents::new(spec, reference.caisses.len());
        Self {
            spec,
            schema,
            reference,
            duplicates,
            log: RejectLog::default(),
            counts: TableCounts::default(),
            latest,
        }
    }

    /// The sequential part of the checks of one batch: given each row's verdict on the row
    /// rules (computed in parallel, [`rule_verdicts`]), finds the duplicates — the first
    /// occurrence in path order is kept, so batches arrive in path order — then logs the
    /// rejects and returns the accepted rows with the reference columns appended (`None` when
    /// none is accepted).
    /// `first`: where the batch's first row is, in `file_name` and over all the table's files
    /// (deferred check).
    pub(super) fn check_verdicts(
        &mut self,
        file_name: &str,
        first: RowPosition,
        columns: &[ArrayRef],
        mut verdicts: Vec<Verdict>,
        keys: &[u128],
    ) -> Result<Option<RecordBatch>, IngestError> {
        let spec = self.spec;
        let n = columns.first().map_or(0, |c| c.len());
        let key_columns = KeyColumns::of(spec, columns);
        // Duplicates: the rows accepted so far whose key is already in the set (the first
        // occurrence in path order is kept; batches arrive in path order).
        let candidates: Vec<usize> = verdicts
            .iter()
            .enumerate()
            .filter(|(_, v)| matches!(v, Verdict::Accepted(_)))
            .map(|(row, _)| row)
            .collect();
        for row in self
            .duplicates
            .repeated(spec, keys, &candidates, first.ordinal)?
        {
            verdicts[row] = Verdict::Failed(Failure::Duplicate);
        }
        let mut keep = BooleanBuilder::with_capacity(n);
        let mut accepted_caisses: Vec<usize> = Vec::with_capacity(n);
        let days = self.latest.batch_days(columns);
        for (row, verdict) in verdicts.into_iter().enumerate() {
            match verdict {
                Verdict::Accepted(caisse) => {
                    keep.append_value(true);
                    accepted_caisses.push(caisse);
                    if let Some(days) = &days {
                        self.latest.add(caisse, days[row]);
                    }
                }
                Verdict::Failed(failure) => {
                    keep.append_value(false);
                    self.log.push(rules::reject(
                        spec,
                        file_name,
                        first.row_number,
                        row,
                        failure,
                        columns,
                        &key_columns,
                    ));
                }
                Verdict::Pending => unreachable!("every row gets a verdict"),
            }
        }
        self.duplicates.account(file_name)?;
        let accepted = accepted_caisses.len() as u64;
        self.counts.rows_read += n as u64;
        self.counts.rows_accepted += accepted;
        self.counts.rows_rejected += n as u64 - accepted;
        if accepted == 0 {
            return Ok(None);
        }
        let mask: BooleanArray = keep.finish();
        // Most batches have no reject: then the columns go on as they are, without a copy.
        let fields: Vec<ArrayRef> = if accepted as usize == n {
            columns.to_vec()
        } else {
            columns
                .iter()
                .map(|c| datafusion::arrow::compute::filter(c, &mask))
                .collect::<Result<_, _>>()
                .map_err(|e| encode_error(file_name, e))?
        };
        self.with_reference_columns(file_name, fields, &accepted_caisses)
            .map(Some)
    }

    /// The deferred check's verdict on `duplicate_rows` of a re-read batch (whose first row is
    /// number `first_row` of `file_name`), accepted when first streamed: rejects them as
    /// duplicates, moves them from accepted to rejected in the counts, and returns them as they
    /// were streamed (for the cube to take them out).
    pub(super) fn reject_deferred(
        &mut self,
        file_name: &str,
        first_row: u64,
        columns: &[ArrayRef],
        verdicts: &[Verdict],
        duplicate_rows: &[usize],
    ) -> Result<RecordBatch, IngestError> {
        let spec = self.spec;
        let keys = KeyColumns::of(spec, columns);
        let mut caisses = Vec::with_capacity(duplicate_rows.len());
        for &row in duplicate_rows {
            let Verdict::Accepted(caisse) = verdicts[row] else {
                unreachable!("a deferred duplicate was accepted when first read");
            };
            caisses.push(caisse);
            self.log.push(rules::reject(
                spec,
                file_name,
                first_row,
                row,
                Failure::Duplicate,
                columns,
                &keys,
            ));
        }
        if let Some(days) = self.latest.batch_days(columns) {
            for (&row, &caisse) in duplicate_rows.iter().zip(&caisses) {
                self.latest.remove(caisse, days[row]);
            }
        }
        self.counts.rows_accepted -= duplicate_rows.len() as u64;
        self.counts.rows_rejected += duplicate_rows.len() as u64;
        let indices = datafusion::arrow::array::UInt32Array::from_iter_values(
            duplicate_rows.iter().map(|&r| r as u32),
        );
        let fields = columns
            .iter()
            .map(|c| datafusion::arrow::compute::take(c, &indices, None))
            .collect::<Result<_, _>>()
            .map_err(|e| encode_error(file_name, e))?;
        self.with_reference_columns(file_name, fields, &caisses)
    }

    /// `fields` (the contract's columns of accepted rows) with the reference columns of their
    /// `caisses` appended: a batch of the stream's schema.
    fn with_reference_columns(
        &self,
        file_name: &str,
        mut fields: Vec<ArrayRef>,
        accepted_caisses: &[usize],
    ) -> Result<RecordBatch, IngestError> {
        let caisses_ref = &self.reference.caisses;
        fields.push(Arc::new(StringArray::from_iter_values(
            accepted_caisses
                .iter()
                .map(|&i| caisses_ref[i].organism.as_str()),
        )));
        fields.push(Arc::new(BooleanArray::from(
            accepted_caisses
                .iter()
                .map(|&i| caisses_ref[i].alsace_moselle)
                .collect::<Vec<_>>(),
        )));
        RecordBatch::try_new(self.schema.clone(), fields).map_err(|e| encode_error(file_name, e))
    }
}

fn encode_error(file_name: &str, e: datafusion::arrow::error::ArrowError) -> IngestError {
    IngestError::Decode {
        file: file_name.to_string(),
        message: e.to_string(),
    }
}
