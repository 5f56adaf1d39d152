//! Where the extracts live: an input root read through `object_store`, so that local folders,
//! `file://` URLs and (later) object stores share one code path.

use std::sync::Arc;

use datafusion::object_store::local::LocalFileSystem;
use datafusion::object_store::path::Path as StorePath;
use datafusion::object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};
use futures::TryStreamExt;

use crate::error::IngestError;

/// An opened input root.
#[derive(Debug, Clone)]
pub struct InputRoot {
    pub store: Arc<dyn ObjectStore>,
    /// The root as the user wrote it, for messages and the manifest.
    pub display: String,
}

impl InputRoot {
    /// Opens a local folder, a `file://` URL or an object-store URL (`s3://bucket/prefix`,
    /// see [`crate::storage`]).
    pub fn open(input: &str) -> Result<Self, IngestError> {
        if crate::storage::is_store_url(input) {
            let root = crate::storage::open(input).map_err(|message| IngestError::InputUrl {
                url: input.to_string(),
                message,
            })?;
            return Ok(Self {
                store: root.store,
                display: root.display,
            });
        }
        let local = if input.starts_with("file://") {
            let url = url::Url::parse(input).map_err(|e| IngestError::InputUrl {
                url: input.to_string(),
                message: e.to_string(),
            })?;
            url.to_file_path().map_err(|()| IngestError::InputUrl {
                url: input.to_string(),
                message: "not a local file path".into(),
            })?
        } else {
            std::path::PathBuf::from(input)
        };
        if !local.is_dir() {
            return Err(IngestError::InputUrl {
                url: input.to_string(),
                message: "no such folder".into(),
            });
        }
        let store =
            LocalFileSystem::new_with_prefix(&local).map_err(|e| IngestError::InputUrl {
                url: input.to_string(),
                message: e.to_string(),
            })?;
        Ok(Self {
            store: Arc::new(store),
            display: input.trim_end_matches('/').to_string(),
        })
    }

    /// Every data file under `folder`, recursively, sorted by path (the contract's "path order").
    /// Names starting with `_` or `.` (`_SUCCESS`, `.crc`, hidden files) are ignored, as Hive and
    /// Spark writers leave them beside the data.
    pub async fn list(&self, folder: &str) -> Result<Vec<ObjectMeta>, IngestError> {
        let prefix = StorePath::from(folder);
        let mut metas: Vec<ObjectMeta> = self
            .store
            .list(Some(&prefix))
            .try_collect()
            .await
            .map_err(|source| match source {
                // A name that is not UTF-8 (an export from a Latin-1 system): object-store
                // keys are UTF-8, so the file cannot be addressed; say which one and what to do.
                datafusion::object_store::Error::InvalidPath { source } => IngestError::FileName {
                    folder: format!("{}/{folder}", self.display),
                    message: source.to_string(),
                },
                source => IngestError::Store {
                    path: format!("{}/{folder}", self.display),
                    source,
                },
            })?;
        metas.retain(|m| {
            m.location
                .parts()
                .all(|p| !p.as_ref().starts_with('_') && !p.as_ref().starts_with('.'))
        });
        metas.sort_by(|a, b| a.location.as_ref().cmp(b.location.as_ref()));
        Ok(metas)
    }

    /// Reads a whole (small) object, such as the caisse reference.
    pub async fn read_all(&self, location: &StorePath) -> Result<bytes::Bytes, IngestError> {
        let get = self
            .store
            .get(location)
            .await
            .map_err(|source| IngestError::Store {
                path: self.describe(location),
                source,
            })?;
        get.bytes().await.map_err(|source| IngestError::Store {
            path: self.describe(location),
            source,
        })
    }

    /// BLAKE3 of a file, streamed (the manifest's audit trail: a published figure can be traced
    /// back to the exact bytes it was computed from; `b3sum FILE` prints the same). BLAKE3
    /// rather than SHA-256: without the SHA CPU extensions SHA-256 hashes ~130 MB/s per core
    /// here and was 17 % of a run's CPU; BLAKE3 is a cryptographic hash as well, several times
    /// faster (docs/decisions.md).
    pub async fn blake3(&self, location: &StorePath) -> Result<String, IngestError> {
        let error = |source| IngestError::Store {
            path: self.describe(location),
            source,
        };
        let mut stream = self.store.get(location).await.map_err(error)?.into_stream();
        let mut hasher = blake3::Hasher::new();
        while let Some(chunk) = stream.try_next().await.map_err(error)? {
            hasher.update(&chunk);
        }
        Ok(hasher.finalize().to_hex().to_string())
    }

    /// `input/claims/x.parquet`: how a file is named in messages, rejects and the manifest.
    pub fn describe(&self, location: &StorePath) -> String {
        location.as_ref().to_string()
    }
}
