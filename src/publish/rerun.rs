//! Cheap reruns: a run whose inputs, catalogue and options are those of the published outputs
//! has nothing to do (docs/performance.md, « Cheap reruns »).

use sha2::{Digest, Sha256};

use super::Target;
use crate::error::IngestError;
use crate::ingest::Input;

/// What decides a run's outputs, read cheaply: the tool and catalogue versions, the options that
/// change results (`options`, as text), the reference's BLAKE3 (a small file) and, for every
/// table file, its path, size, modification time and e-tag from the listing — no data is read.
/// Equal fingerprints mean a rerun would publish the same bytes.
pub async fn fingerprint(
    catalogue_version: &str,
    options: &str,
    input: &Input,
) -> Result<String, IngestError> {
    let reference = datafusion::object_store::path::Path::from(input.reference.file.as_str());
    let mut text = format!(
        "parangon {}\ncatalogue {catalogue_version}\n{options}reference {} {}\n",
        env!("CARGO_PKG_VERSION"),
        input.reference.file,
        input.root.blake3(&reference).await?,
    );
    for table in &input.tables {
        for f in &table.files {
            text.push_str(&format!(
                "{} {} {} {:?}\n",
                f.name,
                f.meta.size,
                f.meta.last_modified.to_rfc3339(),
                f.meta.e_tag
            ));
        }
    }
    for missing in &input.missing {
        text.push_str(&format!("missing {missing}\n"));
    }
    Ok(format!("sha256:{:x}", Sha256::digest(text.as_bytes())))
}

/// The run id of the published outputs when they were computed with the same fingerprint.
pub async fn unchanged_since(target: &Target, fingerprint: &str) -> Option<String> {
    let bytes = target.published_manifest().await?;
    let manifest: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    (manifest["fingerprint"] == fingerprint)
        .then(|| manifest["run_id"].as_str().map(String::from))?
}
