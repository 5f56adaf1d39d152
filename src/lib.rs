//! parangon: benchmarking of French social-security organisms on the indicators of their
//! *Conventions d'objectifs et de gestion* (COG) and of the finance bill's performance annex.
//!
//! [`run`] is the table of contents; each step is one module (see `docs/architecture.md`):
//!
//! 1. [`pipelines`] — load the indicator definitions, targets and coverage (TOML, embedded in
//!    the binary or from a folder) into the types of [`model`];
//! 2. [`ingest`] — read the Parquet extracts through `object_store`, check them against the
//!    data contract ([`contract`]), stream accepted rows and record rejected ones;
//! 3. [`compute`] — one DataFusion query per source table, pooled into raw values at every
//!    level and period, with the date rules of [`calendar`];
//! 4. [`assess`] — targets, statistical confidentiality and the benchmark of caisses;
//! 5. [`render`] — the result tables, rejects and the annex (Parquet, Excel, HTML);
//! 6. [`publish`] — every file switched into place at once, with the manifest.
//!
//! [`model`] depends on nothing else in the crate. [`generate`] writes synthetic datasets. The
//! binary (`src/main.rs` and [`cli`]) parses arguments, prints, and maps errors to exit codes.

pub mod assess;
pub mod calendar;
pub mod cli;
pub mod compute;
pub mod contract;
pub mod error;
pub mod generate;
pub mod ingest;
pub mod model;
pub mod pipelines;
pub mod publish;
pub mod render;
pub mod run;
pub mod storage;

pub use error::Error;

/// The arrow crate parangon is built on (DataFusion's), for callers and tests.
pub use datafusion::arrow;
pub use datafusion::object_store;
/// The parquet crate parangon is built on (DataFusion's), for callers and tests.
pub use datafusion::parquet;
