//! All-or-nothing publication to an object store, which has no atomic rename of a folder.
//!
//! For an output `s3://bucket/out`:
//! - each run uploads every file under `out/versions/<run_id>/` — a prefix no reader uses yet;
//! - then it writes the pointer object `out/CURRENT` (one PUT, atomic on S3: a reader gets the
//!   old or the new object, never a mix) naming that version and its manifest's SHA-256;
//! - then it deletes the versions older than the previous one (the previous one stays for
//!   readers that resolved the pointer just before the switch).
//!
//! A run killed before the pointer switch leaves the pointer, hence the published outputs,
//! untouched; its partial version is never pointed at and is deleted by a later run's clean-up.
//! Two concurrent runs each upload a complete version of their own; the last switch wins, and
//! the outputs are never mixed. Readers (BI tools, scripts) read `CURRENT` first
//! (docs/scaling.md).

use std::sync::Arc;

use datafusion::object_store::path::Path as StorePath;
use datafusion::object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use futures::TryStreamExt;
use serde::{Deserialize, Serialize};

use super::Publication;
use crate::error::PublishError;

/// The pointer object: which version is published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pointer {
    pub run_id: String,
    /// Relative to the output root: `versions/<run_id>`.
    pub version: String,
    pub manifest_sha256: String,
}

/// An output root in an object store.
pub struct StoreOutput {
    store: Arc<dyn ObjectStore>,
    pub display: String,
}

const POINTER: &str = "CURRENT";

impl StoreOutput {
    pub fn open(url: &str) -> Result<Self, PublishError> {
        let root = crate::storage::open(url).map_err(|message| PublishError::Store {
            path: url.to_string(),
            message,
        })?;
        Ok(Self {
            store: root.store,
            display: root.display,
        })
    }

    fn error(&self, path: &str) -> impl Fn(datafusion::object_store::Error) -> PublishError {
        let path = format!("{}/{path}", self.display);
        move |e| PublishError::Store {
            path: path.clone(),
            message: e.to_string(),
        }
    }

    /// The published version, if any.
    pub async fn current(&self) -> Result<Option<Pointer>, PublishError> {
        match self.store.get(&StorePath::from(POINTER)).await {
            Ok(got) => {
                let bytes = got.bytes().await.map_err(self.error(POINTER))?;
                let pointer = serde_json::from_slice(&bytes).map_err(|e| PublishError::Store {
                    path: format!("{}/{POINTER}", self.display),
                    message: format!("not a parangon pointer: {e}"),
                })?;
                Ok(Some(pointer))
            }
            Err(datafusion::object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.error(POINTER)(e)),
        }
    }

    /// A file of the published version (`manifest.json`, …).
    pub async fn read_current(&self, relative: &str) -> Result<Option<Vec<u8>>, PublishError> {
        let Some(pointer) = self.current().await? else {
            return Ok(None);
        };
        let path = format!("{}/{relative}", pointer.version);
        let got = self
            .store
            .get(&StorePath::from(path.as_str()))
            .await
            .map_err(self.error(&path))?;
        Ok(Some(got.bytes().await.map_err(self.error(&path))?.to_vec()))
    }

    /// Uploads the version, switches the pointer, removes old versions.
    pub async fn publish(
        &self,
        run_id: &str,
        publication: &Publication,
    ) -> Result<(), PublishError> {
        let previous = self.current().await?;
        let version = format!("versions/{run_id}");
        let half = publication.files().count() / 2;
        let mut manifest_sha256 = String::new();
        for (i, (relative, bytes)) in publication.files().enumerate() {
            if i == half {
                super::folder::fault_point("write");
            }
            if relative == "manifest.json" {
                use sha2::{Digest, Sha256};
                manifest_sha256 = format!("{:x}", Sha256::digest(bytes));
            }
            let path = format!("{version}/{relative}");
            self.store
                .put(
                    &StorePath::from(path.as_str()),
                    PutPayload::from(bytes.clone()),
                )
                .await
                .map_err(self.error(&path))?;
        }
        super::folder::fault_point("switch");
        let pointer = Pointer {
            run_id: run_id.to_string(),
            version,
            manifest_sha256,
        };
        let json = serde_json::to_vec_pretty(&pointer).map_err(|e| PublishError::Encode {
            what: POINTER.into(),
            message: e.to_string(),
        })?;
        self.store
            .put(&StorePath::from(POINTER), PutPayload::from(json))
            .await
            .map_err(self.error(POINTER))?;
        // Keep the new and the previous version; older ones (and what killed runs left before
        // the previous one) go. A failure here leaves extra objects, not a wrong publication.
        if let Some(previous) = previous {
            let _ = self.remove_versions_before(&previous.run_id, run_id).await;
        }
        Ok(())
    }

    /// Deletes `versions/<id>/` for every id sorting before `keep_from` (ids start with their
    /// UTC start time), except `current`.
    async fn remove_versions_before(
        &self,
        keep_from: &str,
        current: &str,
    ) -> Result<(), PublishError> {
        let listing = self
            .store
            .list_with_delimiter(Some(&StorePath::from("versions")))
            .await
            .map_err(self.error("versions"))?;
        for folder in listing.common_prefixes {
            let id = folder.filename().unwrap_or_default().to_string();
            if id.as_str() >= keep_from || id == current {
                continue;
            }
            let objects: Vec<_> = self
                .store
                .list(Some(&folder))
                .map_ok(|m| m.location)
                .try_collect()
                .await
                .map_err(self.error(folder.as_ref()))?;
            for location in objects {
                self.store
                    .delete(&location)
                    .await
                    .map_err(self.error(location.as_ref()))?;
            }
        }
        Ok(())
    }
}
