//! Publish: turn results into files and switch them into place all at once.
//!
//! Every output file is first encoded in memory ([`Publication`]), written to a staging folder
//! beside the output, and the staging folder then replaces the output in one atomic step
//! ([`folder`]). A run that fails or is killed leaves the previous outputs as they were; two runs
//! on the same output are kept apart by a lock. The manifest is written last. An object-store
//! output has no atomic rename: there each run uploads a version of its own and switches a
//! pointer object last ([`store`]).

pub mod folder;
pub mod manifest;
pub mod parquet;
pub mod rerun;
pub mod store;

use std::collections::BTreeMap;

use datafusion::arrow::array::RecordBatch;
use sha2::{Digest, Sha256};

use crate::error::PublishError;

/// Where a run publishes: a local folder (locked for the run) or an object-store prefix.
pub enum Target {
    Folder(folder::OutputLock),
    Store(store::StoreOutput),
}

impl Target {
    /// Opens `output` (a folder, `file://…` or `s3://…`); a folder is locked at once, so that a
    /// second run on it fails before reading anything.
    pub fn open(output: &str) -> Result<Self, PublishError> {
        if crate::storage::is_store_url(output) {
            return Ok(Target::Store(store::StoreOutput::open(output)?));
        }
        let path = match output.strip_prefix("file://") {
            Some(_) => url::Url::parse(output)
                .ok()
                .and_then(|u| u.to_file_path().ok())
                .ok_or_else(|| PublishError::Store {
                    path: output.to_string(),
                    message: "not a local file URL".into(),
                })?,
            None => std::path::PathBuf::from(output),
        };
        Ok(Target::Folder(folder::lock(&path)?))
    }

    /// The output as shown to the user.
    pub fn display(&self) -> String {
        match self {
            Target::Folder(lock) => lock.output.display().to_string(),
            Target::Store(store) => store.display.clone(),
        }
    }

    /// The manifest of the published outputs, if any.
    pub async fn published_manifest(&self) -> Option<Vec<u8>> {
        match self {
            Target::Folder(lock) => std::fs::read(lock.output.join("manifest.json")).ok(),
            Target::Store(store) => store.read_current("manifest.json").await.ok().flatten(),
        }
    }

    /// Publishes every file at once (all or nothing).
    pub async fn publish(
        &self,
        run_id: &str,
        publication: &Publication,
    ) -> Result<(), PublishError> {
        match self {
            Target::Folder(lock) => folder::publish(lock, run_id, publication),
            Target::Store(store) => store.publish(run_id, publication).await,
        }
    }
}

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
