//! One fact table: its files, their schema check, and the validating row stream that feeds
//! the compute engine.
//!
//! The stream reads the files in path order, casts every contract column to its canonical Arrow
//! type, checks each row against the contract and appends the caisse's `organism` and
//! `alsace_moselle`. Accepted rows flow on to DataFusion; rejected rows are recorded with their
//! reason. Only contract columns are ever read: extra columns (a NIR, names) never enter memory.

use std::sync::{Arc, Mutex};

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, BooleanBuilder, RecordBatch, StringArray,
};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Field, Float64Type, Int64Type, Schema, SchemaRef, TimeUnit,
    TimestampMicrosecondType,
};
use datafusion::execution::TaskContext;
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryReservation};
use datafusion::object_store::ObjectMeta;
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

use super::id_set::IdSet;
use super::key_spill::KeySpill;
use super::reference::Reference;
use super::rejects::{Reject, RejectLog};
use super::source::InputRoot;
use crate::contract::{LogicalType, PLAUSIBLE_DAYS, RecordKey, TableSpec};
use crate::error::IngestError;

const MICROS_PER_DAY: i64 = 86_400_000_000;
const BATCH_ROWS: usize = 65_536;

/// A file of a table, after its footer was read and its schema checked.
#[derive(Debug, Clone)]
pub struct TableFile {
    pub meta: ObjectMeta,
    /// Path relative to the input root.
    pub name: String,
    /// Rows according to the footer.
    pub rows: u64,
    /// For each contract column (contract order): its root index in the file, or `None` when a
    /// nullable column is absent (read as all null).
    columns: Vec<Option<usize>>,
}

/// Counts of one table, reconciled: `rows_read = rows_accepted + rows_rejected`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableCounts {
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_rejected: u64,
}

/// A table ready to be streamed.
#[derive(Debug)]
pub struct TableSource {
    pub spec: &'static TableSpec,
    pub files: Vec<TableFile>,
    /// Non-fatal findings (a nullable column absent from a file).
    pub warnings: Vec<String>,
    root: InputRoot,
    reference: Arc<Reference>,
    /// What the stream found; complete once the stream has ended.
    pub log: Arc<Mutex<RejectLog>>,
    pub counts: Arc<Mutex<TableCounts>>,
    /// The error that stopped the stream, if any (DataFusion carries only its text).
    pub fatal: Arc<Mutex<Option<IngestError>>>,
    /// Duplicates found after they were streamed (a table beyond the duplicate check's
    /// memory budget, [`KeySpill`]): the cube must take them out again.
    pub duplicates: Arc<Mutex<Option<DeferredDuplicates>>>,
    /// Files and bytes the duplicate check spilled (0 when it ran in memory).
    pub spilled: Arc<Mutex<(u64, u64)>>,
}

/// The duplicate check keeps its set in memory up to this size, and beyond it partitions the
/// keys to disk ([`KeySpill`]): 32 MiB is a set of ~1.7 M rows. Small, so that a run's memory
/// does not grow with its tables (at 128 MiB the peak grew by 40 % for 4× the rows; the
/// deferred check is no slower, docs/performance.md). A quarter of the memory limit when that
/// is smaller, so that the cube keeps most of the pool.
const DUPLICATE_SET_BUDGET: usize = 32 << 20;

fn duplicate_budget(pool: &dyn datafusion::execution::memory_pool::MemoryPool) -> usize {
    match pool.memory_limit() {
        datafusion::execution::memory_pool::MemoryLimit::Finite(limit) => {
            DUPLICATE_SET_BUDGET.min(limit / 4)
        }
        _ => DUPLICATE_SET_BUDGET,
    }
}

/// Accepted rows streamed before the deferred duplicate check found them to be later
/// occurrences (in the stream's schema, in path order), kept in an Arrow IPC temporary file.
pub struct DeferredDuplicates {
    pub rows: u64,
    schema: SchemaRef,
    file: Arc<dyn datafusion::execution::SpillFile>,
}

impl std::fmt::Debug for DeferredDuplicates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "DeferredDuplicates({} rows in {:?})",
            self.rows,
            self.file.path()
        )
    }
}

impl DeferredDuplicates {
    /// A partition that streams the rows back, for the query that takes them out of the cube.
    pub fn partition(&self) -> Arc<dyn PartitionStream> {
        Arc::new(DuplicateRows {
            schema: self.schema.clone(),
            file: self.file.clone(),
        })
    }
}

struct DuplicateRows {
    schema: SchemaRef,
    file: Arc<dyn datafusion::execution::SpillFile>,
}

impl std::fmt::Debug for DuplicateRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DuplicateRows({:?})", self.file.path())
    }
}

impl PartitionStream for DuplicateRows {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
        let open = || -> Result<_, datafusion::error::DataFusionError> {
            let path = self.file.path().ok_or_else(|| {
                datafusion::error::DataFusionError::Execution("no local spill file".into())
            })?;
            let file = std::io::BufReader::new(std::fs::File::open(path)?);
            Ok(datafusion::arrow::ipc::reader::StreamReader::try_new(
                file, None,
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

#[allow(deprecated)] // ParquetObjectReader, see the import
impl TableSource {
    /// Lists and checks the files of `spec` under `root`. `Ok(None)`: the folder is absent.
    pub async fn discover(
        root: &InputRoot,
        spec: &'static TableSpec,
        reference: Arc<Reference>,
    ) -> Result<Option<Self>, IngestError> {
        let metas = root.list(spec.name).await?;
        if metas.is_empty() {
            return Ok(None);
        }
        let mut files = Vec::with_capacity(metas.len());
        let mut warnings = Vec::new();
        for meta in metas {
            let name = root.describe(&meta.location);
            let reader = ParquetObjectReader::new(root.store.clone(), meta.location.clone())
                .with_file_size(meta.size);
            let builder = ParquetRecordBatchStreamBuilder::new(reader)
                .await
                .map_err(|e| IngestError::NotParquet {
                    file: name.clone(),
                    message: e.to_string(),
                })?;
            let schema = builder.schema().clone();
            let rows = builder.metadata().file_metadata().num_rows().max(0) as u64;
            let mut columns = Vec::with_capacity(spec.columns.len());
            for c in spec.columns {
                match schema.index_of(c.name) {
                    Ok(i) => {
                        let found = schema.field(i).data_type();
                        if !c.ty.accepts(found) {
                            return Err(IngestError::WrongType {
                                file: name,
                                table: spec.name.to_string(),
                                column: c.name.to_string(),
                                expected: c.ty.contract_name(),
                                found: found.to_string(),
                            });
                        }
                        columns.push(Some(i));
                    }
                    Err(_) if c.required => {
                        return Err(IngestError::MissingColumn {
                            file: name,
                            table: spec.name.to_string(),
                            column: c.name.to_string(),
                            expected: c.ty.contract_name(),
                            nullability: "non-null",
                        });
                    }
                    Err(_) => {
                        warnings.push(format!(
                            "{name}: nullable column '{}' is absent; read as null",
                            c.name
                        ));
                        columns.push(None);
                    }
                }
            }
            files.push(TableFile {
                meta,
                name,
                rows,
                columns,
            });
        }
        Ok(Some(Self {
            spec,
            files,
            warnings,
            root: root.clone(),
            reference,
            log: Arc::new(Mutex::new(RejectLog::default())),
            counts: Arc::new(Mutex::new(TableCounts::default())),
            fatal: Arc::new(Mutex::new(None)),
            duplicates: Arc::new(Mutex::new(None)),
            spilled: Arc::new(Mutex::new((0, 0))),
        }))
    }

    /// The schema of accepted rows: contract columns (canonical types) + reference columns.
    pub fn output_schema(spec: &TableSpec) -> SchemaRef {
        let mut fields: Vec<Field> = spec
            .columns
            .iter()
            .map(|c| Field::new(c.name, c.ty.canonical(), !c.required))
            .collect();
        fields.extend(
            crate::contract::REFERENCE_COLUMNS
                .iter()
                .map(|(name, ty)| Field::new(*name, ty.canonical(), false)),
        );
        Arc::new(Schema::new(fields))
    }

    /// One DataFusion partition that streams all the accepted rows (see [`Self::partitions`]).
    pub fn partition(&self) -> Arc<dyn PartitionStream> {
        self.partitions(1).remove(0)
    }

    fn validating(&self) -> ValidatingPartition {
        ValidatingPartition {
            spec: self.spec,
            schema: Self::output_schema(self.spec),
            files: self.files.clone(),
            root: self.root.clone(),
            reference: self.reference.clone(),
            log: self.log.clone(),
            counts: self.counts.clone(),
            fatal: self.fatal.clone(),
            duplicates: self.duplicates.clone(),
            spilled: self.spilled.clone(),
        }
    }

    /// The accepted rows as `n` DataFusion partitions, fed by one validating scan (see
    /// [`ValidatingPartition`]) that hands each batch to the next output with room. The cube's
    /// partial aggregations then read them directly: with one partition, DataFusion spread it
    /// round-robin through a repartition buffer that grew, while the aggregations lagged,
    /// up to the memory limit (+120 MB at 50 M calls, docs/performance.md). Here the scan waits
    /// when every output is full, so memory no longer grows with the input.
    pub fn partitions(&self, n: usize) -> Vec<Arc<dyn PartitionStream>> {
        let shared = Arc::new(SharedScan {
            scan: self.validating(),
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

    /// Runs the stream to its end without computing anything (`parangon validate`).
    pub async fn drain(&self) -> Result<(), IngestError> {
        let ctx = Arc::new(TaskContext::default());
        let mut stream = self.partition().execute(ctx);
        while let Some(batch) = stream.next().await {
            if let Err(e) = batch {
                return Err(self.take_fatal().unwrap_or(IngestError::Decode {
                    file: self.spec.name.to_string(),
                    message: e.to_string(),
                }));
            }
        }
        Ok(())
    }

    /// The error that stopped the stream, taken out of its slot.
    pub fn take_fatal(&self) -> Option<IngestError> {
        self.fatal.lock().expect("fatal slot").take()
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
    spilled: Arc<Mutex<(u64, u64)>>,
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
        let mut validator = Validator::new(self.spec, self.schema.clone(), self.reference.clone());
        // The duplicate-id set (in memory, or the replay's sets when deferred) is accounted in
        // the run's memory pool, so that the limit covers it and an overflow is a clear error.
        validator.reservation = Some(
            MemoryConsumer::new(format!("duplicate-id check of {}", self.spec.name))
                .register(ctx.memory_pool()),
        );
        // Sized once from the footers' row counts: growing by doubling would briefly hold the
        // old and the new table (1.5× the final size) at every step. Beyond the budget, the
        // keys go to disk and the check runs once the table is read ([`KeySpill`]).
        let rows: usize = self.files.iter().map(|f| f.rows as usize).sum();
        let budget = duplicate_budget(ctx.memory_pool().as_ref());
        if IdSet::bytes_for(rows) <= budget {
            validator.seen = IdSet::with_capacity(rows);
        } else {
            validator.deferred = Some(Deferral {
                disk: ctx.runtime_env().disk_manager.clone(),
                rows,
                budget,
            });
        }
        let files = self.files.clone();
        let root = self.root.clone();
        let (log, counts, fatal) = (self.log.clone(), self.counts.clone(), self.fatal.clone());
        let (duplicates, spilled) = (self.duplicates.clone(), self.spilled.clone());
        let spec = self.spec;
        // A panic in the scan must fail the query, not end the outputs early as if the table
        // were complete: a watcher holds a copy of the senders and reports it.
        let watcher = Outputs::new(outputs.senders.clone());
        let scan = tokio::spawn(async move {
            let result = validate_files(&root, spec, &files, &mut validator, &mut outputs).await;
            *duplicates.lock().expect("duplicates slot") = validator.duplicates.take();
            *spilled.lock().expect("spilled") = validator.spilled;
            if let Err(e) = result {
                let message = e.to_string();
                *fatal.lock().expect("fatal slot") = Some(e);
                outputs.fail(&message).await;
                return;
            }
            *log.lock().expect("reject log") = std::mem::take(&mut validator.log);
            *counts.lock().expect("counts") = validator.counts.clone();
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
struct Unit {
    file: usize,
    row_group: usize,
    /// 1-based number, in its file, of the row group's first row.
    first_row: u64,
    metadata: ArrowReaderMetadata,
}

/// A batch whose rows have their verdict on the row rules, waiting for the duplicate check.
struct RuledBatch {
    file: usize,
    first_row: u64,
    columns: Vec<ArrayRef>,
    verdicts: Vec<Verdict>,
    /// Per row, the hash of its (caisse, record id) — 0 for rows already rejected.
    keys: Vec<u128>,
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
    let spill_error = |e: &dyn std::fmt::Display| spill_error(spec, e);
    if let Some(deferral) = &validator.deferred {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        validator.spill = Some(
            KeySpill::create(&deferral.disk, deferral.rows, deferral.budget, threads)
                .map_err(|e| spill_error(&e))?,
        );
    }
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
    for (index, file) in files.iter().enumerate() {
        let mut reader = ParquetObjectReader::new(root.store.clone(), file.meta.location.clone())
            .with_file_size(file.meta.size);
        let metadata = ArrowReaderMetadata::load_async(&mut reader, Default::default())
            .await
            .map_err(|e| IngestError::NotParquet {
                file: file.name.clone(),
                message: e.to_string(),
            })?;
        let mut first_row = 1;
        for row_group in 0..metadata.metadata().num_row_groups() {
            let rows = metadata.metadata().row_group(row_group).num_rows() as u64;
            units.push(Unit {
                file: index,
                row_group,
                first_row,
                metadata: metadata.clone(),
            });
            first_row += rows;
        }
    }
    let parallel = std::thread::available_parallelism().map_or(2, |n| n.get());
    let reference = validator.reference.clone();
    let deferred_units = validator.spill.is_some().then(|| units.clone());
    let mut ruled = futures::stream::iter(units)
        .map(|unit| {
            let (root, file, reference) =
                (root.clone(), files[unit.file].clone(), reference.clone());
            tokio::spawn(async move { rule_row_group(&root, spec, &file, unit, &reference).await })
        })
        .buffered(parallel + 1);
    while let Some(joined) = ruled.next().await {
        let batches = joined.map_err(|e| IngestError::Decode {
            file: spec.name.to_string(),
            message: e.to_string(),
        })??;
        for b in batches {
            let name = &files[b.file].name;
            let ordinal = offsets[b.file] + b.first_row - 1;
            if let Some(accepted) = validator.check_verdicts(
                name,
                b.first_row,
                ordinal,
                &b.columns,
                b.verdicts,
                &b.keys,
            )? && !outputs.send(accepted).await
            {
                return Ok(()); // the consumer stopped (query cancelled)
            }
        }
    }
    if let (Some(spill), Some(units)) = (validator.spill.take(), deferred_units) {
        resolve_deferred(root, spec, files, &offsets, units, spill, validator).await?;
    }
    Ok(())
}

/// The end of a deferred duplicate check ([`KeySpill`]): finds the later occurrences, re-reads
/// their row groups to reject them (rejects back in path order, counts reconciled) and keeps
/// them, in the stream's schema, for the cube to take out ([`DeferredDuplicates`]).
#[allow(clippy::too_many_arguments)]
async fn resolve_deferred(
    root: &InputRoot,
    spec: &'static TableSpec,
    files: &[TableFile],
    offsets: &[u64],
    units: Vec<Unit>,
    spill: KeySpill,
    validator: &mut Validator,
) -> Result<(), IngestError> {
    let spill_error = |e: &dyn std::fmt::Display| spill_error(spec, e);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    // The replay's sets, one per thread, are accounted like the in-memory set.
    if let Some(reservation) = &mut validator.reservation {
        let bytes = spill.largest_set_bytes() * threads.min(spill.partitions());
        reservation
            .try_resize(bytes)
            .map_err(|e| IngestError::Memory {
                file: spec.name.to_string(),
                needed: bytes,
                message: e.to_string(),
            })?;
    }
    validator.spilled = (spill.partitions() as u64, spill.bytes());
    let repeated = tokio::task::spawn_blocking(move || spill.resolve(threads))
        .await
        .map_err(|e| spill_error(&e))?
        .map_err(|e| spill_error(&e))?;
    if let Some(reservation) = &mut validator.reservation {
        reservation.free();
    }
    if repeated.is_empty() {
        return Ok(());
    }
    let disk = &validator.deferred.as_ref().expect("deferred check").disk;
    let file = disk
        .create_tmp_file("duplicate rows")
        .map_err(|e| spill_error(&e))?;
    let sink = std::io::BufWriter::new(file.open_writer().map_err(|e| spill_error(&e))?);
    let mut writer = datafusion::arrow::ipc::writer::StreamWriter::try_new(sink, &validator.schema)
        .map_err(|e| spill_error(&e))?;
    let reference = validator.reference.clone();
    let mut next = 0;
    for unit in units {
        let first = offsets[unit.file] + unit.first_row - 1;
        let rows = unit
            .metadata
            .metadata()
            .row_group(unit.row_group)
            .num_rows() as u64;
        let from = next;
        while next < repeated.len() && repeated[next] < first + rows {
            next += 1;
        }
        if from == next {
            continue;
        }
        let ordinals = &repeated[from..next];
        let file_index = unit.file;
        for b in rule_row_group(root, spec, &files[file_index], unit, &reference).await? {
            let base = offsets[b.file] + b.first_row - 1;
            let n = b.verdicts.len() as u64;
            let rows: Vec<usize> = ordinals
                .iter()
                .filter(|&&o| o >= base && o < base + n)
                .map(|&o| (o - base) as usize)
                .collect();
            if rows.is_empty() {
                continue;
            }
            let batch = validator.reject_deferred(
                &files[b.file].name,
                b.first_row,
                &b.columns,
                &b.verdicts,
                &rows,
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
    validator.spilled.0 += 1;
    validator.spilled.1 += file
        .path()
        .and_then(|p| std::fs::metadata(p).ok())
        .map_or(0, |m| m.len());
    validator.duplicates = Some(DeferredDuplicates {
        rows: repeated.len() as u64,
        schema: validator.schema.clone(),
        file,
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

/// Decodes one row group, casts it to the canonical types and applies the row rules.
#[allow(deprecated)] // ParquetObjectReader, see the import
async fn rule_row_group(
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
    let mut first_row = unit.first_row;
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
        let (columns, lost) = canonical_columns(spec, &file.name, &arrays, n)?;
        let verdicts = rule_verdicts(spec, reference, &columns, &lost);
        let keys = record_keys(spec, &columns, &verdicts);
        out.push(RuledBatch {
            file: unit.file,
            first_row,
            columns,
            verdicts,
            keys,
        });
        first_row += n as u64;
    }
    Ok(out)
}

/// The contract's columns of one batch (contract order; `None`: a nullable column absent from
/// the file, read as null) cast to their canonical types, and for each the rows whose value
/// did not fit that type (an unsigned integer above `i64::MAX`, a timestamp beyond year 262 000):
/// those rows are rejected, not nulled.
fn canonical_columns(
    spec: &TableSpec,
    file: &str,
    arrays: &[Option<ArrayRef>],
    n: usize,
) -> Result<(Vec<ArrayRef>, Vec<Option<BooleanArray>>), IngestError> {
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
            file: file.to_string(),
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
    Ok((columns, lost))
}

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
    file: &str,
    arrays: &[Option<ArrayRef>],
) -> Result<CheckedBatch, IngestError> {
    let n = arrays.iter().flatten().map(|a| a.len()).next().unwrap_or(0);
    for (c, array) in spec.columns.iter().zip(arrays) {
        match array {
            Some(a) if !c.ty.accepts(a.data_type()) || a.len() != n => {
                return Err(IngestError::WrongType {
                    file: file.to_string(),
                    table: spec.name.to_string(),
                    column: c.name.to_string(),
                    expected: c.ty.contract_name(),
                    found: format!("{} of {} rows", a.data_type(), a.len()),
                });
            }
            None if c.required => {
                return Err(IngestError::MissingColumn {
                    file: file.to_string(),
                    table: spec.name.to_string(),
                    column: c.name.to_string(),
                    expected: c.ty.contract_name(),
                    nullability: "non-null",
                });
            }
            _ => {}
        }
    }
    let (columns, lost) = canonical_columns(spec, file, arrays, n)?;
    let mut validator = Validator::new(spec, TableSource::output_schema(spec), reference);
    let verdicts = rule_verdicts(spec, &validator.reference, &columns, &lost);
    let keys = record_keys(spec, &columns, &verdicts);
    let accepted = validator.check_verdicts(file, 1, 0, &columns, verdicts, &keys)?;
    Ok(CheckedBatch {
        accepted,
        rejects: validator.log,
        counts: validator.counts,
    })
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

/// The deferred duplicate check could not write or read its temporary files.
fn spill_error(spec: &TableSpec, e: &dyn std::fmt::Display) -> IngestError {
    IngestError::Spill {
        table: spec.name.to_string(),
        message: e.to_string(),
    }
}

fn encode_error(file: &str, e: datafusion::arrow::error::ArrowError) -> IngestError {
    IngestError::Decode {
        file: file.to_string(),
        message: e.to_string(),
    }
}

/// Row checks of the contract, in a fixed order; a row gets the first failing reason.
struct Validator {
    spec: &'static TableSpec,
    schema: SchemaRef,
    reference: Arc<Reference>,
    /// 128-bit hashes of (caisse_id, record id) seen so far, for a table within the budget:
    /// duplicates are found without keeping the ids (collisions: ~1e-20 at 1e9 rows).
    seen: IdSet,
    /// The set's memory in the run's pool (none outside a query).
    reservation: Option<MemoryReservation>,
    /// Set when the table's set would exceed its budget: the check is deferred to the keys
    /// spilled in `spill`, and finds `duplicates` once the table is read.
    deferred: Option<Deferral>,
    spill: Option<KeySpill>,
    duplicates: Option<DeferredDuplicates>,
    /// Files and bytes spilled by the deferred check.
    spilled: (u64, u64),
    log: RejectLog,
    counts: TableCounts,
}

/// What a deferred duplicate check needs: where to spill, for how many rows, within what.
struct Deferral {
    disk: Arc<datafusion::execution::DiskManager>,
    rows: usize,
    budget: usize,
}

impl Validator {
    fn new(spec: &'static TableSpec, schema: SchemaRef, reference: Arc<Reference>) -> Self {
        Self {
            spec,
            schema,
            reference,
            seen: IdSet::default(),
            reservation: None,
            deferred: None,
            spill: None,
            duplicates: None,
            spilled: (0, 0),
            log: RejectLog::default(),
            counts: TableCounts::default(),
        }
    }

    /// The sequential part of the checks of one batch: given each row's verdict on the row
    /// rules (computed in parallel, [`rule_verdicts`]), finds the duplicates — the first
    /// occurrence in path order is kept, so batches arrive in path order — then logs the
    /// rejects and returns the accepted rows with the reference columns appended (`None` when
    /// none is accepted).
    /// `ordinal` is the batch's first row's, over all the table's files (deferred check).
    fn check_verdicts(
        &mut self,
        file: &str,
        first_row: u64,
        ordinal: u64,
        columns: &[ArrayRef],
        mut verdicts: Vec<Verdict>,
        keys: &[u128],
    ) -> Result<Option<RecordBatch>, IngestError> {
        let spec = self.spec;
        let n = columns.first().map_or(0, |c| c.len());
        let (caisses, key_column, year_column) = key_columns(spec, columns);
        // Duplicates: the rows accepted so far whose key is already in the set (the first
        // occurrence in path order is kept; batches arrive in path order).
        let candidates: Vec<usize> = verdicts
            .iter()
            .enumerate()
            .filter(|(_, v)| matches!(v, Verdict::Accepted(_)))
            .map(|(row, _)| row)
            .collect();
        if let Some(spill) = &mut self.spill {
            for &row in &candidates {
                spill
                    .push(keys[row], ordinal + row as u64)
                    .map_err(|e| spill_error(spec, &e))?;
            }
        } else {
            for row in self.seen.insert_rows(keys, &candidates) {
                verdicts[row] = Verdict::Failed(Failure::Duplicate);
            }
        }
        let mut keep = BooleanBuilder::with_capacity(n);
        let mut accepted_caisses: Vec<usize> = Vec::with_capacity(n);
        for (row, verdict) in verdicts.into_iter().enumerate() {
            match verdict {
                Verdict::Accepted(caisse) => {
                    keep.append_value(true);
                    accepted_caisses.push(caisse);
                }
                Verdict::Failed(failure) => {
                    keep.append_value(false);
                    let keys = (caisses, key_column, year_column);
                    self.reject(file, first_row, row, failure, columns, keys);
                }
                Verdict::Pending => unreachable!("every row gets a verdict"),
            }
        }
        if let Some(reservation) = &mut self.reservation {
            let bytes = self.seen.allocated_bytes();
            reservation
                .try_resize(bytes)
                .map_err(|e| IngestError::Memory {
                    file: file.to_string(),
                    needed: bytes,
                    message: e.to_string(),
                })?;
        }
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
                .map_err(|e| encode_error(file, e))?
        };
        self.with_reference_columns(file, fields, &accepted_caisses)
            .map(Some)
    }

    /// Logs the rejection of `row` for `failure`.
    fn reject(
        &mut self,
        file: &str,
        first_row: u64,
        row: usize,
        failure: Failure,
        columns: &[ArrayRef],
        (caisses, key_column, year_column): (
            &StringArray,
            Option<&StringArray>,
            Option<&datafusion::arrow::array::Int64Array>,
        ),
    ) {
        let (column, reason) = self.describe(failure, columns, row, caisses);
        let record_key = match (key_column, year_column) {
            (Some(k), _) if k.is_valid(row) => Some(clip(k.value(row))),
            (_, Some(y)) if y.is_valid(row) => Some(y.value(row).to_string()),
            _ => None,
        };
        self.log.push(Reject {
            table: self.spec.name,
            source_file: file.to_string(),
            row_number: (first_row + row as u64) as i64,
            caisse_id: caisses.is_valid(row).then(|| clip(caisses.value(row))),
            record_key,
            column: column.map(str::to_string),
            reason,
        });
    }

    /// The deferred check's verdict on `rows` of a re-read batch, accepted when first streamed:
    /// rejects them as duplicates, moves them from accepted to rejected in the counts, and
    /// returns them as they were streamed (for the cube to take them out).
    fn reject_deferred(
        &mut self,
        file: &str,
        first_row: u64,
        columns: &[ArrayRef],
        verdicts: &[Verdict],
        rows: &[usize],
    ) -> Result<RecordBatch, IngestError> {
        let keys = key_columns(self.spec, columns);
        let mut caisses = Vec::with_capacity(rows.len());
        for &row in rows {
            let Verdict::Accepted(caisse) = verdicts[row] else {
                unreachable!("a deferred duplicate was accepted when first read");
            };
            caisses.push(caisse);
            self.reject(file, first_row, row, Failure::Duplicate, columns, keys);
        }
        self.counts.rows_accepted -= rows.len() as u64;
        self.counts.rows_rejected += rows.len() as u64;
        let indices =
            datafusion::arrow::array::UInt32Array::from_iter_values(rows.iter().map(|&r| r as u32));
        let fields = columns
            .iter()
            .map(|c| datafusion::arrow::compute::take(c, &indices, None))
            .collect::<Result<_, _>>()
            .map_err(|e| encode_error(file, e))?;
        self.with_reference_columns(file, fields, &caisses)
    }

    /// `fields` (the contract's columns of accepted rows) with the reference columns of their
    /// `caisses` appended: a batch of the stream's schema.
    fn with_reference_columns(
        &self,
        file: &str,
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
        RecordBatch::try_new(self.schema.clone(), fields).map_err(|e| encode_error(file, e))
    }

    /// The column at fault and the reason of a failed row, as the rejects print them.
    fn describe(
        &self,
        failure: Failure,
        columns: &[ArrayRef],
        row: usize,
        caisses: &StringArray,
    ) -> (Option<&'static str>, String) {
        let spec = self.spec;
        let column = |ci: usize| &spec.columns[ci];
        match failure {
            Failure::Unfit(ci) => (
                Some(column(ci).name),
                format!(
                    "value out of the range of {}",
                    column(ci).ty.contract_name()
                ),
            ),
            Failure::Null(ci) => (Some(column(ci).name), "null in a non-null column".into()),
            Failure::Code(ci) => {
                let c = column(ci);
                let v = columns[ci].as_string::<i32>().value(row);
                let list = c.codes.unwrap_or_default().join(", ");
                (
                    Some(c.name),
                    format!("unknown code '{}' (expected one of: {list})", clip(v)),
                )
            }
            Failure::NotFinite(ci) => {
                let v = columns[ci].as_primitive::<Float64Type>().value(row);
                (Some(column(ci).name), format!("not a finite number ({v})"))
            }
            Failure::Negative(ci) => {
                let v = match column(ci).ty {
                    LogicalType::Int => columns[ci]
                        .as_primitive::<Int64Type>()
                        .value(row)
                        .to_string(),
                    _ => columns[ci]
                        .as_primitive::<Float64Type>()
                        .value(row)
                        .to_string(),
                };
                (Some(column(ci).name), format!("negative value {v}"))
            }
            Failure::Range(ci) => {
                let c = column(ci);
                let v = columns[ci].as_primitive::<Int64Type>().value(row);
                let (lo, hi) = c.range.expect("a range rule");
                (Some(c.name), format!("value {v} outside {lo}..{hi}"))
            }
            Failure::Absurd(ci) => {
                let day = Days::of(&columns[ci]).day(row);
                let date = crate::calendar::try_to_date(day).map_or_else(
                    || format!("of day {day} from 1970-01-01"),
                    |d| d.to_string(),
                );
                (
                    Some(column(ci).name),
                    format!("absurd date {date} (accepted: 1950-01-01 to 2099-12-31)"),
                )
            }
            Failure::Order(oi) => {
                let order = &spec.date_orders[oi];
                (
                    Some(order.later),
                    format!("{} is before {}", order.later, order.earlier),
                )
            }
            Failure::UnknownCaisse => (
                Some("caisse_id"),
                format!(
                    "unknown caisse '{}' (not in reference/caisses)",
                    clip(caisses.value(row))
                ),
            ),
            Failure::Duplicate => {
                let what = match spec.key {
                    RecordKey::Id(name) => name,
                    RecordKey::CaisseYear => "year",
                };
                (
                    Some(what),
                    format!(
                        "duplicate {what} within caisse {} (the first occurrence is kept)",
                        clip(caisses.value(row))
                    ),
                )
            }
        }
    }
}

/// The verdict of every row of a batch on the row rules — the rules run column by column over
/// the whole batch in the contract's order, and a row keeps the first rule it fails, exactly as
/// if each row were checked rule after rule —, up to the caisse lookup: a row that passes gets
/// `Accepted(caisse)`, pending the duplicate check. Needs nothing from other batches, so batches
/// are checked in parallel.
fn rule_verdicts(
    spec: &'static TableSpec,
    reference: &Reference,
    columns: &[ArrayRef],
    lost: &[Option<BooleanArray>],
) -> Vec<Verdict> {
    let n = columns.first().map_or(0, |c| c.len());
    let mut verdicts = vec![Verdict::Pending; n];
    let fail = |verdicts: &mut [Verdict], row: usize, failure: Failure| {
        if matches!(verdicts[row], Verdict::Pending) {
            verdicts[row] = Verdict::Failed(failure);
        }
    };
    // A value that did not fit the canonical type, in any column, comes first.
    for (ci, l) in lost.iter().enumerate() {
        if let Some(l) = l {
            for row in l.values().set_indices() {
                fail(&mut verdicts, row, Failure::Unfit(ci));
            }
        }
    }
    for (ci, (c, array)) in spec.columns.iter().zip(columns).enumerate() {
        let nulls = array.logical_nulls();
        let is_null = |row: usize| nulls.as_ref().is_some_and(|b| b.is_null(row));
        // A null fails a required column; it passes every other rule of a nullable one.
        let checked = |verdicts: &[Verdict], row: usize| {
            matches!(verdicts[row], Verdict::Pending) && !is_null(row)
        };
        if c.required && nulls.is_some() {
            for row in 0..n {
                if is_null(row) {
                    fail(&mut verdicts, row, Failure::Null(ci));
                }
            }
        }
        match c.ty {
            LogicalType::Utf8 => {
                if let Some(list) = c.codes {
                    let values = array.as_string::<i32>();
                    for row in 0..n {
                        if checked(&verdicts, row) && !list.contains(&values.value(row)) {
                            fail(&mut verdicts, row, Failure::Code(ci));
                        }
                    }
                }
            }
            LogicalType::Float => {
                let values = array.as_primitive::<Float64Type>().values();
                for row in 0..n {
                    if !checked(&verdicts, row) {
                        continue;
                    }
                    let v = values[row];
                    if !v.is_finite() {
                        fail(&mut verdicts, row, Failure::NotFinite(ci));
                    } else if c.non_negative && v < 0.0 {
                        fail(&mut verdicts, row, Failure::Negative(ci));
                    }
                }
            }
            LogicalType::Int => {
                let values = array.as_primitive::<Int64Type>().values();
                for row in 0..n {
                    if !checked(&verdicts, row) {
                        continue;
                    }
                    let v = values[row];
                    if let Some((lo, hi)) = c.range {
                        if v < lo || v > hi {
                            fail(&mut verdicts, row, Failure::Range(ci));
                        }
                    } else if c.non_negative && v < 0 {
                        fail(&mut verdicts, row, Failure::Negative(ci));
                    }
                }
            }
            LogicalType::Date | LogicalType::Timestamp => {
                let days = Days::of(array);
                for row in 0..n {
                    if checked(&verdicts, row) {
                        let day = days.day(row);
                        if day < PLAUSIBLE_DAYS.0 || day > PLAUSIBLE_DAYS.1 {
                            fail(&mut verdicts, row, Failure::Absurd(ci));
                        }
                    }
                }
            }
            LogicalType::Bool => {}
        }
    }
    for (oi, order) in spec.date_orders.iter().enumerate() {
        let (i, j) = (position(spec, order.earlier), position(spec, order.later));
        let (a, b) = (&columns[i], &columns[j]);
        let (da, db) = (Days::of(a), Days::of(b));
        for row in 0..n {
            if matches!(verdicts[row], Verdict::Pending)
                && a.is_valid(row)
                && b.is_valid(row)
                && db.instant(row) < da.instant(row)
            {
                fail(&mut verdicts, row, Failure::Order(oi));
            }
        }
    }
    let caisses = columns[position(spec, "caisse_id")].as_string::<i32>();
    // Caisses come in long runs (extracts are written caisse by caisse): the previous lookup
    // is reused while the id repeats.
    let mut last: Option<(&str, Option<usize>)> = None;
    for (row, verdict) in verdicts.iter_mut().enumerate() {
        if !matches!(verdict, Verdict::Pending) {
            continue;
        }
        let caisse_id = caisses.value(row);
        let index = match last {
            Some((id, index)) if id == caisse_id => index,
            _ => {
                let index = reference.index_of(caisse_id);
                last = Some((caisse_id, index));
                index
            }
        };
        *verdict = match index {
            Some(caisse) => Verdict::Accepted(caisse),
            None => Verdict::Failed(Failure::UnknownCaisse),
        };
    }
    verdicts
}

fn position(spec: &TableSpec, name: &str) -> usize {
    spec.columns
        .iter()
        .position(|c| c.name == name)
        .expect("contract column")
}

/// The columns that identify a record: `caisse_id`, and the record id or, for tables with one
/// row per caisse and year, `year`.
fn key_columns<'a>(
    spec: &TableSpec,
    columns: &'a [ArrayRef],
) -> (
    &'a StringArray,
    Option<&'a StringArray>,
    Option<&'a datafusion::arrow::array::Int64Array>,
) {
    let position = |name: &str| {
        spec.columns
            .iter()
            .position(|c| c.name == name)
            .unwrap_or_else(|| panic!("the contract has {name}"))
    };
    let caisses = columns[position("caisse_id")].as_string::<i32>();
    match spec.key {
        RecordKey::Id(name) => (
            caisses,
            Some(columns[position(name)].as_string::<i32>()),
            None,
        ),
        RecordKey::CaisseYear => (
            caisses,
            None,
            Some(columns[position("year")].as_primitive::<Int64Type>()),
        ),
    }
}

/// The hash of each accepted row's (caisse, record id) — (caisse, year) for tables with one row
/// per caisse and year — for the duplicate check; 0 for rows already rejected. Computed with
/// the row rules, on every core; only the set inserts follow path order.
fn record_keys(spec: &TableSpec, columns: &[ArrayRef], verdicts: &[Verdict]) -> Vec<u128> {
    let (caisses, ids, years) = key_columns(spec, columns);
    let mut key = Vec::with_capacity(64);
    verdicts
        .iter()
        .enumerate()
        .map(|(row, verdict)| {
            let Verdict::Accepted(_) = verdict else {
                return 0;
            };
            // (caisse, 0xFF, id): 0xFF never occurs in UTF-8, so the pair is unambiguous.
            key.clear();
            key.extend_from_slice(caisses.value(row).as_bytes());
            key.push(0xFF);
            match (ids, years) {
                (Some(ids), _) => key.extend_from_slice(ids.value(row).as_bytes()),
                (_, Some(years)) => key.extend_from_slice(&years.value(row).to_le_bytes()),
                _ => unreachable!("every table has a key"),
            }
            xxhash_rust::xxh3::xxh3_128(&key)
        })
        .collect()
}

/// What a row is found to be.
#[derive(Debug, Clone, Copy)]
enum Verdict {
    Pending,
    /// Accepted, with the index of its caisse in the reference.
    Accepted(usize),
    Failed(Failure),
}

/// The first rule a row fails (column indexes in contract order).
#[derive(Debug, Clone, Copy)]
enum Failure {
    Unfit(usize),
    Null(usize),
    Code(usize),
    NotFinite(usize),
    Negative(usize),
    Range(usize),
    Absurd(usize),
    Order(usize),
    UnknownCaisse,
    Duplicate,
}

/// A date or timestamp column, read as days or instants without a downcast per row.
enum Days<'a> {
    Date(&'a [i32]),
    Micros(&'a [i64]),
}

impl<'a> Days<'a> {
    fn of(array: &'a ArrayRef) -> Self {
        match array.data_type() {
            DataType::Date32 => Days::Date(array.as_primitive::<Date32Type>().values()),
            _ => Days::Micros(array.as_primitive::<TimestampMicrosecondType>().values()),
        }
    }

    fn day(&self, row: usize) -> i32 {
        match self {
            Days::Date(v) => v[row],
            Days::Micros(v) => v[row].div_euclid(MICROS_PER_DAY) as i32,
        }
    }

    /// Comparable instant (microseconds).
    fn instant(&self, row: usize) -> i64 {
        match self {
            Days::Date(v) => i64::from(v[row]) * MICROS_PER_DAY,
            Days::Micros(v) => v[row],
        }
    }
}

/// Values echoed in messages are cut at 64 characters (a 1 MB string stays out of rejects).
fn clip(s: &str) -> String {
    if s.chars().count() <= 64 {
        s.to_string()
    } else {
        let cut: String = s.chars().take(64).collect();
        format!("{cut}…")
    }
}
