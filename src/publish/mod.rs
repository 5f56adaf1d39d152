//! Publish: turn results into files and switch them into place all at once.
//!
//! Every output file is first encoded in memory ([`Publication`]), written to a staging folder
//! beside the output, and the staging folder then replaces the output in one atomic step
//! ([`folder`]). A run that fails or is killed leaves the previous outputs as they were; two runs
//! on the same output are kept apart by a lock. The manifest is written last.

pub mod annex;
pub mod folder;
pub mod manifest;
pub mod parquet;
pub mod results;

use std::collections::BTreeMap;

use datafusion::arrow::array::RecordBatch;
use sha2::{Digest, Sha256};

use crate::error::PublishError;

/// The files of one run, by path relative to the output root.
#[derive(Debug, Default)]
pub struct Publication {
    files: BTreeMap<String, Vec<u8>>,
}

/// A written file, for the manifest.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OutputFile {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
}

impl Publication {
    /// Adds a Parquet file encoded from `batch`.
    pub fn add_parquet(&mut self, path: &str, batch: &RecordBatch) -> Result<(), PublishError> {
        let bytes = parquet::encode(batch).map_err(|e| PublishError::Encode {
            what: path.to_string(),
            message: e.to_string(),
        })?;
        self.files.insert(path.to_string(), bytes);
        Ok(())
    }

    /// Adds any file.
    pub fn add_bytes(&mut self, path: &str, bytes: Vec<u8>) {
        self.files.insert(path.to_string(), bytes);
    }

    /// The files so far, with their checksums (the manifest lists them).
    pub fn listing(&self) -> Vec<OutputFile> {
        self.files
            .iter()
            .map(|(path, bytes)| OutputFile {
                path: path.clone(),
                bytes: bytes.len() as u64,
                sha256: format!("{:x}", Sha256::digest(bytes)),
                rows: parquet::row_count(bytes),
            })
            .collect()
    }

    pub fn files(&self) -> impl Iterator<Item = (&String, &Vec<u8>)> {
        self.files.iter()
    }
}
