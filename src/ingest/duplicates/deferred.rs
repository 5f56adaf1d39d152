//! The end of a deferred duplicate check ([`KeySpill`](super::KeySpill)): once the table is
//! read, the spilled keys are replayed to find the later occurrences; their row groups are
//! re-read to reject them (rejects back in path order, counts reconciled), and the rows,
//! already streamed into the cube, are kept in an Arrow IPC temporary file for the cube to
//! take out again.

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::execution::TaskContext;
use datafusion::physical_plan::SendableRecordBatchStream;
use datafusion::physical_plan::streaming::PartitionStream;

use super::{SpillTotals, spill_error};
use crate::contract::TableSpec;
use crate::error::IngestError;
use crate::ingest::discover::TableFile;
use crate::ingest::scan::{Unit, rule_row_group};
use crate::ingest::source::InputRoot;
use crate::ingest::validator::Validator;

/// Accepted rows streamed before the deferred duplicate check found them to be later
/// occurrences (in the stream's schema, in path order), kept in an Arrow IPC temporary file.
pub struct DeferredDuplicates {
    pub rows: u64,
    schema: SchemaRef,
    spill_file: Arc<dyn datafusion::execution::SpillFile>,
}

impl std::fmt::Debug for DeferredDuplicates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "DeferredDuplicates({} rows in {:?})",
            self.rows,
            self.spill_file.path()
        )
    }
}

impl DeferredDuplicates {
    /// A partition that streams the rows back, for the query that takes them out of the cube.
    pub fn partition(&self) -> Arc<dyn PartitionStream> {
        Arc::new(DuplicateRows {
            schema: self.schema.clone(),
            spill_file: self.spill_file.clone(),
        })
    }
}

struct DuplicateRows {
    schema: SchemaRef,
    spill_file: Arc<dyn datafusion::execution::SpillFile>,
}

impl std::fmt::Debug for DuplicateRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DuplicateRows({:?})", self.spill_file.path())
    }
}

impl PartitionStream for DuplicateRows {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
        let open = || -> Result<_, datafusion::error::DataFusionError> {
            let path = self.spill_file.path().ok_or_else(|| {
                datafusion::error::DataFusionError::Execution("no local spill file".into())
            })?;
            let reader = std::io::BufReader::new(std::fs::File::open(path)?);
            Ok(datafusion::arrow::ipc::reader::StreamReader::try_new(
                reader, None,
            )?)
        };
        let batches: Box<dyn Iterator<Item = datafusion::error::Result<RecordBatch>> + Send> =
            match open() {
                Ok(reader) => Box::new(reader.map(|b| b.map_err(Into::into))),
                Err(e) => Box::new(std::iter::once(Err(e))),
            };
        Box::pin(RecordBatchStreamAdapter::new(
            self.schema.clone(),
            futures::stream::iter(batches),
        ))
    }
}

/// The end of a deferred duplicate check ([`KeySpill`](super::KeySpill)): finds the later
/// occurrences, re-reads their row groups (among `units`, the table's row groups in path
/// order) to reject them (rejects back in path order, counts reconciled) and keeps them, in
/// the stream's schema, for the cube to take out ([`DeferredDuplicates`]). Nothing to do when
/// the check ran in memory.
pub(in crate::ingest) async fn resolve_deferred(
    root: &InputRoot,
    spec: &'static TableSpec,
    files: &[TableFile],
    units: Vec<Unit>,
    validator: &mut Validator,
) -> Result<(), IngestError> {
    let Some(spill) = validator.duplicates.spill.take() else {
        return Ok(());
    };
    let spill_error = |e: &dyn std::fmt::Display| spill_error(spec, e);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    // The replay's sets, one per thread, are accounted like the in-memory set.
    if let Some(reservation) = &mut validator.duplicates.reservation {
        let bytes = spill.largest_set_bytes() * threads.min(spill.partitions());
        reservation
            .try_resize(bytes)
            .map_err(|e| IngestError::Memory {
                file: spec.name.to_string(),
                needed: bytes,
                message: e.to_string(),
            })?;
    }
    validator.duplicates.spilled = SpillTotals {
        files: spill.partitions() as u64,
        bytes: spill.bytes(),
    };
    // The ordinals (0-based over the table, sorted) of the later occurrences.
    let repeated = tokio::task::spawn_blocking(move || spill.resolve(threads))
        .await
        .map_err(|e| spill_error(&e))?
        .map_err(|e| spill_error(&e))?;
    if let Some(reservation) = &mut validator.duplicates.reservation {
        reservation.free();
    }
    if repeated.is_empty() {
        return Ok(());
    }
    let deferral = validator.duplicates.deferral.as_ref();
    let disk = &deferral.expect("deferred check").disk;
    let spill_file = disk
        .create_tmp_file("duplicate rows")
        .map_err(|e| spill_error(&e))?;
    let sink = std::io::BufWriter::new(spill_file.open_writer().map_err(|e| spill_error(&e))?);
    let mut writer = datafusion::arrow::ipc::writer::StreamWriter::try_new(sink, &validator.schema)
        .map_err(|e| spill_error(&e))?;
    let reference = validator.reference.clone();
    let mut next = 0;
    for unit in units {
        let unit_rows = unit
            .metadata
            .metadata()
            .row_group(unit.row_group)
            .num_rows() as u64;
        let from = next;
        while next < repeated.len() && repeated[next] < unit.first.ordinal + unit_rows {
            next += 1;
        }
        if from == next {
            continue;
        }
        let ordinals = &repeated[from..next];
        let file_index = unit.file_index;
        for b in rule_row_group(root, spec, &files[file_index], unit, &reference).await? {
            let batch_rows = b.verdicts.len() as u64;
            let duplicate_rows: Vec<usize> = ordinals
                .iter()
                .filter(|&&o| o >= b.first.ordinal && o < b.first.ordinal + batch_rows)
                .map(|&o| (o - b.first.ordinal) as usize)
                .collect();
            if duplicate_rows.is_empty() {
                continue;
            }
            let batch = validator.reject_deferred(
                &files[b.file_index].name,
                b.first.row_number,
                &b.columns,
                &b.verdicts,
                &duplicate_rows,
            )?;
            writer.write(&batch).map_err(|e| spill_error(&e))?;
        }
    }
    writer.finish().map_err(|e| spill_error(&e))?;
    writer
        .into_inner()
        .map_err(|e| spill_error(&e))?
        .into_inner()
        .map_err(|e| spill_error(&e.into_error()))?
        .finish()
        .map_err(|e| spill_error(&e))?;
    validator.duplicates.spilled.files += 1;
    validator.duplicates.spilled.bytes += spill_file
        .path()
        .and_then(|p| std::fs::metadata(p).ok())
        .map_or(0, |m| m.len());
    validator.duplicates.found = Some(DeferredDuplicates {
        rows: repeated.len() as u64,
        schema: validator.schema.clone(),
        spill_file,
    });
    // The deferred rejects were appended last: back to file, then row order.
    let position: std::collections::HashMap<&str, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.name.as_str(), i))
        .collect();
    validator
        .log
        .rows
        .sort_by_key(|r| (position.get(r.source_file.as_str()).copied(), r.row_number));
    Ok(())
}
