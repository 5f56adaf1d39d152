//! The duplicate rule (extracts.md, "Rejects"; rule 5 of `super::rules`): within a caisse, a
//! record id — for the yearly tables, a year — occurs once; the first occurrence in path order
//! (files in path order, then row order) is kept and every later one is rejected.
//!
//! The rows' keys are hashed with the row rules (`super::rules::record_keys`, in parallel);
//! here only the question "was this key seen earlier in path order?" is answered:
//!
//! - `id_set`: in memory, a prefetching set of the 128-bit hashes, fed in path order
//!   ([`DuplicateCheck`] while the table streams);
//! - `key_spill`: beyond the memory budget, the check is *deferred*: the hashes are partitioned
//!   to disk while the table streams, and replayed once it is read;
//! - `deferred`: the end of a deferred check: the later occurrences are re-read, rejected, and
//!   kept for the cube to take out again ([`DeferredDuplicates`]).

mod deferred;
mod id_set;
mod key_spill;

use std::sync::Arc;

use datafusion::execution::TaskContext;
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryReservation};

pub use deferred::DeferredDuplicates;
pub(super) use deferred::resolve_deferred;
use id_set::IdSet;
use key_spill::KeySpill;

use crate::contract::TableSpec;
use crate::error::IngestError;

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

/// The duplicate check of one table's stream: which accepted rows repeat the key of an
/// earlier row in path order.
#[derive(Default)]
pub(super) struct DuplicateCheck {
    /// 128-bit hashes of (caisse_id, record id) seen so far, for a table within the budget:
    /// duplicates are found without keeping the ids (collisions: ~1e-20 at 1e9 rows).
    seen: IdSet,
    /// The set's memory in the run's pool (none outside a query).
    reservation: Option<MemoryReservation>,
    /// Set when the table's set would exceed its budget: the check is deferred to the keys
    /// spilled in `spill`, and finds `found` once the table is read.
    deferral: Option<Deferral>,
    spill: Option<KeySpill>,
    found: Option<DeferredDuplicates>,
    /// What the deferred check spilled.
    spilled: SpillTotals,
}

/// What a deferred duplicate check needs: where to spill, for how many rows, within what.
struct Deferral {
    disk: Arc<datafusion::execution::DiskManager>,
    rows: usize,
    budget: usize,
}

/// Temporary files the deferred duplicate check wrote, and their bytes (both 0 when the check
/// ran in memory).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SpillTotals {
    pub files: u64,
    pub bytes: u64,
}

impl DuplicateCheck {
    /// The check of a table of `rows` rows (the footers' counts) scanned in a query of `ctx`,
    /// the memory of its set accounted in the run's memory pool — so that the limit covers it
    /// and an overflow is a clear error.
    pub(super) fn for_scan(ctx: &TaskContext, table: &str, rows: usize) -> Self {
        let mut check = Self {
            reservation: Some(
                MemoryConsumer::new(format!("duplicate-id check of {table}"))
                    .register(ctx.memory_pool()),
            ),
            ..Self::default()
        };
        // Sized once from the footers' row counts: growing by doubling would briefly hold the
        // old and the new table (1.5× the final size) at every step. Beyond the budget, the
        // keys go to disk and the check runs once the table is read ([`KeySpill`]).
        let budget = duplicate_budget(ctx.memory_pool().as_ref());
        if IdSet::bytes_for(rows) <= budget {
            check.seen = IdSet::with_capacity(rows);
        } else {
            check.deferral = Some(Deferral {
                disk: ctx.runtime_env().disk_manager.clone(),
                rows,
                budget,
            });
        }
        check
    }

    /// Opens the spill files of a deferred check (nothing to do in memory).
    pub(super) fn open_spill(&mut self, spec: &TableSpec) -> Result<(), IngestError> {
        if let Some(deferral) = &self.deferral {
            let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
            self.spill = Some(
                KeySpill::create(&deferral.disk, deferral.rows, deferral.budget, threads)
                    .map_err(|e| spill_error(spec, &e))?,
            );
        }
        Ok(())
    }

    /// Whether the check is deferred to the end of the table (its keys spilled).
    pub(super) fn is_deferred(&self) -> bool {
        self.spill.is_some()
    }

    /// The rows of `candidates` (rows accepted so far, of a batch whose first row has the
    /// ordinal `ordinal` over the table) whose key in `keys` came earlier in path order —
    /// batches must come in path order. A deferred check only records the keys and finds
    /// none yet.
    pub(super) fn repeated(
        &mut self,
        spec: &TableSpec,
        keys: &[u128],
        candidates: &[usize],
        ordinal: u64,
    ) -> Result<Vec<usize>, IngestError> {
        if let Some(spill) = &mut self.spill {
            for &row in candidates {
                spill
                    .push(keys[row], ordinal + row as u64)
                    .map_err(|e| spill_error(spec, &e))?;
            }
            Ok(Vec::new())
        } else {
            Ok(self.seen.insert_rows(keys, candidates))
        }
    }

    /// Accounts the in-memory set's current size in the run's memory pool.
    pub(super) fn account(&mut self, file_name: &str) -> Result<(), IngestError> {
        if let Some(reservation) = &mut self.reservation {
            let bytes = self.seen.allocated_bytes();
            reservation
                .try_resize(bytes)
                .map_err(|e| IngestError::Memory {
                    file: file_name.to_string(),
                    needed: bytes,
                    message: e.to_string(),
                })?;
        }
        Ok(())
    }

    /// The rows a deferred check found once resolved, for the cube to take out.
    pub(super) fn take_found(&mut self) -> Option<DeferredDuplicates> {
        self.found.take()
    }

    pub(super) fn spilled(&self) -> SpillTotals {
        self.spilled
    }
}

/// The deferred duplicate check could not write or read its temporary files.
pub(super) fn spill_error(spec: &TableSpec, e: &dyn std::fmt::Display) -> IngestError {
    IngestError::Spill {
        table: spec.name.to_string(),
        message: e.to_string(),
    }
}
