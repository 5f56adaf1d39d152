//! Object stores behind `--input` and `--output` URLs, configured the usual way.
//!
//! `s3://bucket/prefix` uses object_store's `AmazonS3Builder::from_env()`: `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`, `AWS_ENDPOINT` (or
//! `AWS_ENDPOINT_URL_S3`) for an S3-compatible server, `AWS_ALLOW_HTTP=true` for one without
//! TLS, and the rest of the AWS_* variables the builder documents. Credentials are read from the
//! environment only: they never appear in a URL, a message or the manifest. The store is wrapped
//! in a `PrefixStore`, so paths below the root are the same as in a local folder.
//! Google Cloud Storage and Azure go through the same builders (object_store's `gcp` and `azure`
//! features), not compiled in this build to keep it lean: docs/scaling.md.

use std::sync::Arc;

use datafusion::object_store::ObjectStore;
use datafusion::object_store::prefix::PrefixStore;

/// An object store rooted at the URL's prefix.
pub struct StoreRoot {
    pub store: Arc<dyn ObjectStore>,
    /// `s3://bucket/prefix`, without a trailing slash.
    pub display: String,
}

/// Whether `location` is an object-store URL (rather than a local folder or `file://`).
pub fn is_store_url(location: &str) -> bool {
    location
        .split_once("://")
        .is_some_and(|(scheme, _)| scheme != "file")
}

/// Opens `url`; the error says what is supported.
pub fn open(url: &str) -> Result<StoreRoot, String> {
    let parsed = url::Url::parse(url).map_err(|e| e.to_string())?;
    let store: Arc<dyn ObjectStore> = match parsed.scheme() {
        "s3" | "s3a" => s3(&parsed)?,
        "gs" | "az" | "abfs" | "abfss" => {
            return Err(format!(
                "'{}' is not compiled into this build (object_store's gcp/azure features): see docs/scaling.md",
                parsed.scheme()
            ));
        }
        other => {
            return Err(format!(
                "the '{other}' scheme is not supported (s3://, file:// or a local folder)"
            ));
        }
    };
    let prefix = parsed.path().trim_matches('/').to_string();
    let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
        store
    } else {
        Arc::new(PrefixStore::new(store, prefix.as_str()))
    };
    Ok(StoreRoot {
        store,
        display: url.trim_end_matches('/').to_string(),
    })
}

#[cfg(feature = "s3")]
fn s3(url: &url::Url) -> Result<Arc<dyn ObjectStore>, String> {
    use datafusion::object_store::aws::AmazonS3Builder;
    let bucket = url
        .host_str()
        .filter(|b| !b.is_empty())
        .ok_or("no bucket: write s3://bucket/prefix")?;
    let store = AmazonS3Builder::from_env()
        .with_bucket_name(bucket)
        .build()
        .map_err(|e| e.to_string())?;
    Ok(Arc::new(store))
}

#[cfg(not(feature = "s3"))]
fn s3(_: &url::Url) -> Result<Arc<dyn ObjectStore>, String> {
    Err("s3:// is not compiled into this build (cargo feature `s3`)".into())
}
