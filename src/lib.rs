//! parangon: benchmarking of French social-security organisms on the indicators of their
//! *Conventions d'objectifs et de gestion* (COG) and of the finance bill's performance annex.
//!
//! The crate is a pipeline in three steps, one module each (see `docs/architecture.md`):
//!
//! 1. [`ingest`] — read the Parquet extracts through `object_store`, check them against the
//!    data contract ([`contract`]), stream accepted rows and record rejected ones;
//! 2. [`compute`] — compile the indicator definitions of `pipelines/` ([`catalogue`]) into one
//!    DataFusion query per source table and pool the results at every level and period,
//!    with the date rules of [`calendar`];
//! 3. [`publish`] — write deterministic Parquet tables and the manifest, switched into place
//!    all at once.
//!
//! [`run`] chains them; [`generate`] writes synthetic datasets. The binary (`src/main.rs` and
//! [`cli`]) is a thin layer that parses arguments, prints, and maps errors to exit codes.

pub mod calendar;
pub mod catalogue;
pub mod cli;
pub mod compute;
pub mod contract;
pub mod coverage;
pub mod error;
pub mod generate;
pub mod ingest;
pub mod publish;
pub mod run;
pub mod storage;
pub mod targets;

pub use error::Error;

/// The arrow crate parangon is built on (DataFusion's), for callers and tests.
pub use datafusion::arrow;
pub use datafusion::object_store;
/// The parquet crate parangon is built on (DataFusion's), for callers and tests.
pub use datafusion::parquet;
