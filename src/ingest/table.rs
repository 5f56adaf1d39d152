//! One fact table: its files, the slots its scan fills, and the partitions that stream its
//! accepted rows to the compute engine.
//!
//! - its files are found and their schemas checked by `super::discover`;
//! - the scan (`super::scan`) reads the files in path order, casts every contract column to its
//!   canonical Arrow type (`super::normalise`), checks each row against the contract
//!   (`super::rules`, `super::validator`, `super::duplicates`) and appends the caisse's
//!   `organism` and `alsace_moselle`. Accepted rows flow on to DataFusion; rejected rows are
//!   recorded with their reason. Only contract columns are ever read: extra columns (a NIR,
//!   names) never enter memory.

use std::sync::{Arc, Mutex};

use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::execution::TaskContext;
use datafusion::physical_plan::streaming::PartitionStream;
use futures::StreamExt;

pub use super::discover::TableFile;
use super::discover::{Discovered, discover_files};
pub use super::duplicates::DeferredDuplicates;
use super::duplicates::SpillTotals;
use super::latest::LatestEvents;
use super::reference::Reference;
use super::rejects::RejectLog;
use super::scan;
use super::source::InputRoot;
use crate::contract::TableSpec;
use crate::error::IngestError;

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
    pub(super) root: InputRoot,
    pub(super) reference: Arc<Reference>,
    /// What the stream found; complete once the stream has ended.
    pub log: Arc<Mutex<RejectLog>>,
    pub counts: Arc<Mutex<TableCounts>>,
    /// The error that stopped the stream, if any (DataFusion carries only its text).
    pub fatal: Arc<Mutex<Option<IngestError>>>,
    /// Duplicates found after they were streamed (a table beyond the duplicate check's
    /// memory budget, `super::duplicates`): the cube must take them out again.
    pub duplicates: Arc<Mutex<Option<DeferredDuplicates>>>,
    /// Files and bytes the duplicate check spilled (0 when it ran in memory).
    pub spilled: Arc<Mutex<SpillTotals>>,
    /// The latest event day of each caisse's accepted rows; complete once the stream ended.
    pub latest: Arc<Mutex<LatestEvents>>,
}

impl TableSource {
    /// Lists and checks the files of `spec` under `root` (`super::discover`). `Ok(None)`: the
    /// folder is absent.
    pub async fn discover(
        root: &InputRoot,
        spec: &'static TableSpec,
        reference: Arc<Reference>,
    ) -> Result<Option<Self>, IngestError> {
        let Some(Discovered { files, warnings }) = discover_files(root, spec).await? else {
            return Ok(None);
        };
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
            spilled: Arc::new(Mutex::new(SpillTotals::default())),
            latest: Arc::new(Mutex::new(LatestEvents::default())),
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

    /// The accepted rows as `n` DataFusion partitions, fed by one validating scan (see
    /// `super::scan`) that hands each batch to the next output with room. The cube's
    /// partial aggregations then read them directly: with one partition, DataFusion spread it
    /// round-robin through a repartition buffer that grew, while the aggregations lagged,
    /// up to the memory limit (+120 MB at 50 M calls, docs/performance.md). Here the scan waits
    /// when every output is full, so memory no longer grows with the input.
    pub fn partitions(&self, n: usize) -> Vec<Arc<dyn PartitionStream>> {
        scan::fan_out(self, n)
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
