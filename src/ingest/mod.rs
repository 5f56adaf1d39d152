//! Ingest: find the extracts, check them against the contract, and stream the accepted rows.
//!
//! - `source`: the input root (local folder or URL) through `object_store`;
//! - `reference`: `reference/caisses`;
//! - `table`: a fact table's files, schema checks and validating row stream;
//! - `rejects`: the rows left out, with their reason.

mod id_set;
mod key_spill;
pub mod reference;
pub mod rejects;
pub mod source;
pub mod table;

use std::sync::Arc;

pub use reference::{Caisse, Reference};
pub use rejects::{Reject, RejectLog};
pub use source::InputRoot;
pub use table::{CheckedBatch, TableCounts, TableSource, check_batch};

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
