//! The scan of one table: the validating stream that feeds the compute engine.
//!
//! The files' row groups are decoded on every core, several at a time, projecting only the
//! contract's columns (extra columns such as a NIR never enter memory); each is cast to the
//! canonical types (`super::normalise`) and checked against the row rules (`super::rules`).
//! They come back in **path order** — files in path order, then row order, the order in which
//! the first occurrence of a duplicate is the one kept — and go through the sequential checks
//! (`super::validator`). The accepted batches are fanned out to the table's DataFusion
//! partitions: each goes to the next output with room, and the scan waits when all are full.

use std::sync::{Arc, Mutex};

use datafusion::arrow::array::{ArrayRef, RecordBatch};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::execution::TaskContext;
use datafusion::parquet::arrow::ParquetRecordBatchStreamBuilder;
use datafusion::parquet::arrow::ProjectionMask;
use datafusion::parquet::arrow::arrow_reader::ArrowReaderMetadata;
// Deprecated in parquet 59 in favour of hand-written `AsyncFileReader`s; it is still the
// object_store-backed reader of this version and does exactly what we need.
#[allow(deprecated)]
use datafusion::parquet::arrow::async_reader::ParquetObjectReader;
use datafusion::physical_plan::SendableRecordBatchStream;
use datafusion::physical_plan::streaming::PartitionStream;
use futures::StreamExt;

use super::discover::TableFile;
use super::duplicates::{DeferredDuplicates, DuplicateCheck, SpillTotals, resolve_deferred};
use super::latest::LatestEvents;
use super::normalise::{Canonical, canonical_columns};
use super::reference::Reference;
use super::rejects::RejectLog;
use super::rules::{Verdict, record_keys, rule_verdicts};
use super::source::InputRoot;
use super::table::{TableCounts, TableSource};
use super::validator::Validator;
use crate::contract::TableSpec;
use crate::error::IngestError;

const BATCH_ROWS: usize = 65_536;

/// Where a row is: its number in its file (1-based, as the rejects print it) and its ordinal
/// over all the table's files in path order (0-based, for the deferred duplicate check).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RowPosition {
    pub row_number: u64,
    pub ordinal: u64,
}

impl RowPosition {
    /// The first row of the first file.
    pub const FIRST: Self = Self {
        row_number: 1,
        ordinal: 0,
    };

    /// The position `rows` rows further in the same file.
    fn advanced(self, rows: u64) -> Self {
        Self {
            row_number: self.row_number + rows,
            ordinal: self.ordinal + rows,
        }
    }
}

/// The stream of accepted rows of one table. Executing it twice would read the files twice;
/// the engine references each table exactly once in its query, so it runs once per run.
#[derive(Debug)]
struct ValidatingPartition {
    spec: &'static TableSpec,
    schema: SchemaRef,
    files: Vec<TableFile>,
    root: InputRoot,
    reference: Arc<Reference>,
    log: Arc<Mutex<RejectLog>>,
    counts: Arc<Mutex<TableCounts>>,
    fatal: Arc<Mutex<Option<IngestError>>>,
    duplicates: Arc<Mutex<Option<DeferredDuplicates>>>,
    spilled: Arc<Mutex<SpillTotals>>,
    latest: Arc<Mutex<LatestEvents>>,
}

impl ValidatingPartition {
    /// The scan of `table`, filling its slots (rejects, counts, error, duplicates, spilled).
    fn of(table: &TableSource) -> Self {
        Self {
            spec: table.spec,
            schema: TableSource::output_schema(table.spec),
            files: table.files.clone(),
            root: table.root.clone(),
            reference: table.reference.clone(),
            log: table.log.clone(),
            counts: table.counts.clone(),
            fatal: table.fatal.clone(),
            duplicates: table.duplicates.clone(),
            spilled: table.spilled.clone(),
            latest: table.latest.clone(),
        }
    }
}

/// The accepted rows of `table` as `n` DataFusion partitions, fed by one validating scan
/// ([`TableSource::partitions`]).
pub(super) fn fan_out(table: &TableSource, n: usize) -> Vec<Arc<dyn PartitionStream>> {
    let shared = Arc::new(SharedScan {
        scan: ValidatingPartition::of(table),
        receivers: Mutex::new(None),
        n: n.max(1),
    });
    (0..n.max(1))
        .map(|index| {
            Arc::new(ScanOutput {
                shared: shared.clone(),
                index,
            }) as Arc<dyn PartitionStream>
        })
        .collect()
}

/// Bounded channels, one per output partition: 2 batches of room each.
type BatchSender = tokio::sync::mpsc::Sender<datafusion::error::Result<RecordBatch>>;
type BatchReceiver = tokio::sync::mpsc::Receiver<datafusion::error::Result<RecordBatch>>;

fn output_channels(n: usize) -> (Vec<BatchSender>, Vec<BatchReceiver>) {
    (0..n).map(|_| tokio::sync::mpsc::channel(2)).unzip()
}

fn receiver_stream(schema: SchemaRef, rx: BatchReceiver) -> SendableRecordBatchStream {
    use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
    let batches = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|batch| (batch, rx))
    });
    Box::pin(RecordBatchStreamAdapter::new(schema, batches))
}

/// Where the scan sends accepted batches: the next output partition with room.
struct Outputs {
    senders: Vec<BatchSender>,
    next: usize,
}

impl Outputs {
    fn new(senders: Vec<BatchSender>) -> Self {
        Self { senders, next: 0 }
    }

    /// Sends `batch` to the next output with room, round robin, waiting only when every
    /// output is full; false when no output is listening any more (the query stopped).
    async fn send(&mut self, batch: RecordBatch) -> bool {
        use tokio::sync::mpsc::error::TrySendError;
        let n = self.senders.len();
        let mut item = Ok(batch);
        for k in 0..n {
            let i = (self.next + k) % n;
            match self.senders[i].try_send(item) {
                Ok(()) => {
                    self.next = i + 1;
                    return true;
                }
                Err(TrySendError::Full(back) | TrySendError::Closed(back)) => item = back,
            }
        }
        for k in 0..n {
            let i = (self.next + k) % n;
            if !self.senders[i].is_closed() {
                self.next = i + 1;
                return self.senders[i].send(item).await.is_ok();
            }
        }
        false
    }

    /// Fails every output with `message` (the scan's error).
    async fn fail(&self, message: &str) {
        for sender in &self.senders {
            let error = datafusion::error::DataFusionError::Execution(message.to_string());
            let _ = sender.send(Err(error)).await;
        }
    }
}

/// The scan behind [`TableSource::partitions`]: started by the first output executed.
struct SharedScan {
    scan: ValidatingPartition,
    receivers: Mutex<Option<Vec<Option<BatchReceiver>>>>,
    n: usize,
}

#[derive(Debug)]
struct ScanOutput {
    shared: Arc<SharedScan>,
    index: usize,
}

impl std::fmt::Debug for SharedScan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SharedScan({}, {} outputs)", self.scan.spec.name, self.n)
    }
}

impl PartitionStream for ScanOutput {
    fn schema(&self) -> &SchemaRef {
        &self.shared.scan.schema
    }

    fn execute(&self, ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let mut receivers = self.shared.receivers.lock().expect("scan outputs");
        let receivers = receivers.get_or_insert_with(|| {
            let (senders, receivers) = output_channels(self.shared.n);
            self.shared.scan.start(&ctx, Outputs::new(senders));
            receivers.into_iter().map(Some).collect()
        });
        match receivers[self.index].take() {
            Some(rx) => receiver_stream(self.schema().clone(), rx),
            None => {
                // Executing an output twice would need a second scan: refused, not read twice.
                let error = datafusion::error::DataFusionError::Internal(format!(
                    "output {} of the scan executed twice",
                    self.index
                ));
                Box::pin(
                    datafusion::physical_plan::stream::RecordBatchStreamAdapter::new(
                        self.schema().clone(),
                        futures::stream::once(async { Err(error) }),
                    ),
                )
            }
        }
    }
}

impl ValidatingPartition {
    /// Starts the scan (a task of the runtime) sending to `outputs`.
    fn start(&self, ctx: &Arc<TaskContext>, mut outputs: Outputs) {
        let rows: usize = self.files.iter().map(|f| f.rows as usize).sum();
        let duplicates = DuplicateCheck::for_scan(ctx, self.spec.name, rows);
        let mut validator = Validator::new(
            self.spec,
            self.schema.clone(),
            self.reference.clone(),
            duplicates,
        );
        let files = self.files.clone();
        let root = self.root.clone();
        let (log, counts, fatal) = (self.log.clone(), self.counts.clone(), self.fatal.clone());
        let (duplicates, spilled) = (self.duplicates.clone(), self.spilled.clone());
        let latest = self.latest.clone();
        let spec = self.spec;
        // A panic in the scan must fail the query, not end the outputs early as if the table
        // were complete: a watcher holds a copy of the senders and reports it.
        let watcher = Outputs::new(outputs.senders.clone());
        let scan = tokio::spawn(async move {
            let result = validate_files(&root, spec, &files, &mut validator, &mut outputs).await;
            *duplicates.lock().expect("duplicates slot") = validator.duplicates.take_found();
            // The slot keeps the (files, bytes) pair the compute step reads.
            *spilled.lock().expect("spilled") = validator.duplicates.spilled();
            if let Err(e) = result {
                let message = e.to_string();
                *fatal.lock().expect("fatal slot") = Some(e);
                outputs.fail(&message).await;
                return;
            }
            *log.lock().expect("reject log") = std::mem::take(&mut validator.log);
            *counts.lock().expect("counts") = validator.counts.clone();
            *latest.lock().expect("latest events") = std::mem::take(&mut validator.latest);
        });
        tokio::spawn(async move {
            if let Err(e) = scan.await
                && e.is_panic()
            {
                watcher
                    .fail(&format!("the scan of {} panicked", spec.name))
                    .await;
            }
            // The outputs end when the last senders (these) are dropped, after the scan filled
            // the slots above.
        });
    }
}

/// One row group of one file: the unit decoded and checked in parallel.
#[derive(Clone)]
pub(super) struct Unit {
    /// The file's index in the table's files (path order).
    pub file_index: usize,
    pub row_group: usize,
    /// The row group's first row.
    pub first: RowPosition,
    pub metadata: ArrowReaderMetadata,
}

/// A batch whose rows have their verdict on the row rules, waiting for the duplicate check.
pub(super) struct RuledBatch {
    /// The file's index in the table's files (path order).
    pub file_index: usize,
    /// The batch's first row.
    pub first: RowPosition,
    pub columns: Vec<ArrayRef>,
    pub verdicts: Vec<Verdict>,
    /// Per row, the hash of its (caisse, record id) — 0 for rows already rejected.
    pub keys: Vec<u128>,
}

/// Streams the accepted rows of `files`. Row groups are decoded, cast and checked against the
/// row rules on every core, several at a time (`buffered` hands them back in path order); the
/// duplicate check, which keeps the first occurrence in path order, then runs on them in that
/// order, followed by the rejects and the accepted batch.
#[allow(deprecated)] // ParquetObjectReader, see the import
async fn validate_files(
    root: &InputRoot,
    spec: &'static TableSpec,
    files: &[TableFile],
    validator: &mut Validator,
    outputs: &mut Outputs,
) -> Result<(), IngestError> {
    validator.duplicates.open_spill(spec)?;
    // Ordinal (0-based, over the files in path order) of each file's first row.
    let offsets: Vec<u64> = files
        .iter()
        .scan(0, |next, f| {
            let first = *next;
            *next += f.rows;
            Some(first)
        })
        .collect();
    let mut units = Vec::new();
    for (file_index, file) in files.iter().enumerate() {
        let mut reader = ParquetObjectReader::new(root.store.clone(), file.meta.location.clone())
            .with_file_size(file.meta.size);
        let metadata = ArrowReaderMetadata::load_async(&mut reader, Default::default())
            .await
            .map_err(|e| IngestError::NotParquet {
                file: file.name.clone(),
                message: e.to_string(),
            })?;
        let mut first = RowPosition {
            row_number: 1,
            ordinal: offsets[file_index],
        };
        for row_group in 0..metadata.metadata().num_row_groups() {
            let rows = metadata.metadata().row_group(row_group).num_rows() as u64;
            units.push(Unit {
                file_index,
                row_group,
                first,
                metadata: metadata.clone(),
            });
            first = first.advanced(rows);
        }
    }
    let parallel = std::thread::available_parallelism().map_or(2, |n| n.get());
    let reference = validator.reference.clone();
    let deferred_units = validator.duplicates.is_deferred().then(|| units.clone());
    let mut ruled = futures::stream::iter(units)
        .map(|unit| {
            let (root, file, reference) = (
                root.clone(),
                files[unit.file_index].clone(),
                reference.clone(),
            );
            tokio::spawn(async move { rule_row_group(&root, spec, &file, unit, &reference).await })
        })
        .buffered(parallel + 1);
    while let Some(joined) = ruled.next().await {
        let batches = joined.map_err(|e| IngestError::Decode {
            file: spec.name.to_string(),
            message: e.to_string(),
        })??;
        for b in batches {
            let name = &files[b.file_index].name;
            if let Some(accepted) =
                validator.check_verdicts(name, b.first, &b.columns, b.verdicts, &b.keys)?
                && !outputs.send(accepted).await
            {
                return Ok(()); // the consumer stopped (query cancelled)
            }
        }
    }
    if let Some(units) = deferred_units {
        resolve_deferred(root, spec, files, units, validator).await?;
    }
    Ok(())
}

/// Decodes one row group, casts it to the canonical types and applies the row rules.
#[allow(deprecated)] // ParquetObjectReader, see the import
pub(super) async fn rule_row_group(
    root: &InputRoot,
    spec: &'static TableSpec,
    file: &TableFile,
    unit: Unit,
    reference: &Reference,
) -> Result<Vec<RuledBatch>, IngestError> {
    let decode = |e: &dyn std::fmt::Display| IngestError::Decode {
        file: file.name.clone(),
        message: e.to_string(),
    };
    let reader = ParquetObjectReader::new(root.store.clone(), file.meta.location.clone())
        .with_file_size(file.meta.size);
    let builder = ParquetRecordBatchStreamBuilder::new_with_metadata(reader, unit.metadata);
    let mut roots: Vec<usize> = file.columns.iter().flatten().copied().collect();
    roots.sort_unstable();
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots.iter().copied());
    let mut stream = builder
        .with_projection(mask)
        .with_row_groups(vec![unit.row_group])
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| decode(&e))?;
    let mut out = Vec::new();
    let mut first = unit.first;
    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(|e| decode(&e))?;
        let n = batch.num_rows();
        // Map each contract column to its position in the projected batch.
        let arrays: Vec<Option<ArrayRef>> = file
            .columns
            .iter()
            .map(|idx| {
                idx.map(|root_index| {
                    let pos = roots.binary_search(&root_index).expect("projected");
                    batch.column(pos).clone()
                })
            })
            .collect();
        let Canonical { columns, lost } = canonical_columns(spec, &file.name, &arrays, n)?;
        let verdicts = rule_verdicts(spec, reference, &columns, &lost);
        let keys = record_keys(spec, &columns, &verdicts);
        out.push(RuledBatch {
            file_index: unit.file_index,
            first,
            columns,
            verdicts,
            keys,
        });
        first = first.advanced(n as u64);
    }
    Ok(out)
}
