//! Ingest: find the extracts, check them against the contract, and stream the accepted rows.
//!
//! One file per responsibility, in the order a table goes through them:
//!
//! - `source`: the input root (local folder or URL) through `object_store`;
//! - `reference`: `reference/caisses`;
//! - `table`: a fact table ([`TableSource`]): its files, the slots its scan fills, its
//!   partitions;
//! - `discover`: a table's files listed in path order, and each footer's schema check;
//! - `scan`: the validating stream: row groups decoded in parallel, back in path order,
//!   fanned out to the partitions;
//! - `normalise`: casts to the canonical types, time zones;
//! - `rules`: the row rules of the contract, pure, and the messages of the rejects;
//! - `validator`: the sequential step (duplicates, rejects, counts) and [`check_batch`];
//! - `duplicates/`: the duplicate check, in memory or deferred to disk;
//! - `latest`: the latest event date of each caisse (the default as-of date);
//! - `rejects`: the rows left out, with their reason.
//!
//! Names used throughout: a `file` is a [`table::TableFile`] and a `file_name` its path
//! relative to the input root; a `row` is a row's 0-based index in its batch, its
//! `row_number` the 1-based number in its file (as the rejects print it), and its `ordinal`
//! the 0-based index over all the table's files in path order (`scan::RowPosition`).

mod discover;
mod duplicates;
pub mod latest;
mod normalise;
pub mod reference;
pub mod rejects;
mod rules;
mod scan;
pub mod source;
pub mod table;
mod validator;

use std::sync::Arc;

pub use duplicates::SpillTotals;
pub use latest::LatestEvents;
pub use reference::{Caisse, Reference};
pub use rejects::{Reject, RejectLog};
pub use source::InputRoot;
pub use table::{TableCounts, TableSource};
pub use validator::{CheckedBatch, check_batch};

use crate::contract::TableSpec;
use crate::error::IngestError;

/// The opened input: the reference and every table present among those asked for.
#[derive(Debug)]
pub struct Input {
    pub root: InputRoot,
    pub reference: Arc<Reference>,
    /// Present tables, in contract order.
    pub tables: Vec<TableSource>,
    /// Tables asked for but absent from the input.
    pub missing: Vec<&'static str>,
}

impl Input {
    /// Opens `input`, reads the reference and checks the files of `tables` (footers only).
    pub async fn open(input: &str, tables: &[&'static TableSpec]) -> Result<Self, IngestError> {
        let root = InputRoot::open(input)?;
        let reference = Reference::load(&root).await?;
        let mut present = Vec::new();
        let mut missing = Vec::new();
        for spec in tables {
            match TableSource::discover(&root, spec, reference.clone()).await? {
                Some(t) => present.push(t),
                None => missing.push(spec.name),
            }
        }
        Ok(Self {
            root,
            reference,
            tables: present,
            missing,
        })
    }

    pub fn table(&self, name: &str) -> Option<&TableSource> {
        self.tables.iter().find(|t| t.spec.name == name)
    }
}
