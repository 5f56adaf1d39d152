//! Typed errors of the library. Each message says what happened, where (file, column, row,
//! indicator) and what to do; `main` prints them and maps them to exit codes.

use std::path::PathBuf;

use datafusion::error::DataFusionError;

/// Errors in the indicator definitions under `pipelines/` (a configuration problem: exit 2).
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error(
        "cannot read the indicator catalogue folder {dir}: {source}\n  hint: --pipelines (or PARANGON_PIPELINES) must name a folder of indicator definitions; without either, the catalogue built into parangon is used"
    )]
    Dir {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{dir} holds no indicator definitions (no *.toml file)\n  hint: --pipelines (or PARANGON_PIPELINES) must name a folder like the repository's pipelines/; without either, the catalogue built into parangon is used"
    )]
    Empty { dir: PathBuf },
    #[error("cannot read {file}: {source}")]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}: invalid TOML: {message}")]
    Parse { file: PathBuf, message: String },
    #[error("{file}: indicator {indicator}: {message}")]
    Invalid {
        file: PathBuf,
        indicator: String,
        message: String,
    },
    #[error("unknown indicator '{id}'{}\n  hint: `parangon indicators` lists the catalogue", suggestion.as_ref().map(|s| format!(" (did you mean '{s}'?)")).unwrap_or_default())]
    UnknownIndicator {
        id: String,
        suggestion: Option<String>,
    },
}

/// Errors reading the extracts that no row-level reject can absorb (a data error: exit 1).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(
        "cannot open the input {url}: {message}\n  hint: --input takes a local folder, file:// or a registered object-store URL"
    )]
    InputUrl { url: String, message: String },
    #[error("cannot list or read {path}: {source}")]
    Store {
        path: String,
        source: datafusion::object_store::Error,
    },
    #[error(
        "{file}: not a readable Parquet file ({message})\n  hint: a table folder holds only Parquet files; remove or re-export this file (files starting with '_' or '.' are ignored)"
    )]
    NotParquet { file: String, message: String },
    #[error(
        "{file}: column '{column}' is missing (expected {expected}, {nullability})\n  hint: the extract must carry every non-null column of the contract: `parangon contract {table}` lists them (docs/contract.md)"
    )]
    MissingColumn {
        file: String,
        table: String,
        column: String,
        expected: &'static str,
        nullability: &'static str,
    },
    #[error(
        "{file}: column '{column}' has type {found}, expected {expected}\n  hint: re-export the column as {expected} (`parangon contract {table}` lists the accepted types)"
    )]
    WrongType {
        file: String,
        table: String,
        column: String,
        expected: &'static str,
        found: String,
    },
    #[error(
        "{folder}: a file name is not valid UTF-8 ({message})\n  hint: rename the file with a UTF-8 name (object-store keys, hence parangon's paths, are UTF-8)"
    )]
    FileName { folder: String, message: String },
    #[error(
        "{file}: the duplicate-id check needs {needed} bytes, beyond the memory limit ({message})\n  hint: raise --memory-limit (default: half the machine's memory)"
    )]
    Memory {
        file: String,
        needed: usize,
        message: String,
    },
    #[error(
        "{table}: the duplicate-id check could not use its temporary files ({message})\n  hint: free space in the temporary folder (TMPDIR), or raise --memory-limit so that the check fits in memory"
    )]
    Spill { table: String, message: String },
    #[error(
        "{file}: cannot decode row group data: {message}\n  hint: the file is damaged (truncated or altered after it was written): re-export it"
    )]
    Decode { file: String, message: String },
    #[error(
        "{file}: {message}\n  hint: reference/caisses must list each caisse once with caisse_id, name and organism"
    )]
    Reference { file: String, message: String },
    #[error(
        "no reference/caisses.csv or reference/caisses.parquet under {root}\n  hint: every input folder needs the caisse reference (`parangon contract` describes reference/caisses)"
    )]
    NoReference { root: String },
}

/// Errors planning or running the indicator queries.
#[derive(Debug, thiserror::Error)]
pub enum ComputeError {
    #[error(
        "indicator {indicator} ({file}): its SQL does not plan against table {table}: {message}\n  hint: check column names with `parangon contract {table}`; `parangon indicators show {id}` prints the SQL"
    )]
    Sql {
        indicator: String,
        id: String,
        file: PathBuf,
        table: String,
        message: String,
    },
    #[error("indicator {indicator}: {message}")]
    Definition { indicator: String, message: String },
    #[error(
        "computing table {table}: the memory limit is too small ({message})\n  hint: raise --memory-limit; beyond it aggregations spill to disk, but each still needs a few MB per core"
    )]
    Memory { table: String, message: String },
    #[error(
        "cannot start DataFusion's runtime: {source}\n  hint: its spill files go to the temporary folder: check that TMPDIR (or /tmp) exists and is writable"
    )]
    Runtime {
        source: datafusion::error::DataFusionError,
    },
    #[error(
        "computing table {table} on the cluster {url}: {message}\n  hint: start `parangon cluster scheduler` and at least one `parangon cluster executor` (docs/scaling.md); the staging folder must be readable at the same path by all of them"
    )]
    Cluster {
        table: String,
        url: String,
        message: String,
    },
    #[error(
        "--cluster needs a parangon built with the `cluster` feature (this one was built without it)\n  hint: cargo build --release --features cluster"
    )]
    ClusterNotBuilt,
    #[error("computing table {table}: {source}")]
    Query {
        table: String,
        source: DataFusionError,
    },
    #[error(transparent)]
    Ingest(#[from] IngestError),
}

/// Errors writing the outputs.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "another parangon run is writing to {output} (lock {lock} is held)\n  hint: wait for it to finish, or choose another --output"
    )]
    Locked { output: PathBuf, lock: PathBuf },
    #[error(
        "{path}: {message}\n  hint: object stores are configured by the AWS_* environment variables (AWS_ENDPOINT and AWS_ALLOW_HTTP=true for an S3-compatible server); see docs/scaling.md"
    )]
    Store { path: String, message: String },
    #[error(
        "{output} exists and is not a parangon output folder (no manifest.json)\n  hint: choose an empty or new --output folder"
    )]
    NotAnOutput { output: PathBuf },
    #[error("writing {what}: {message}")]
    Encode { what: String, message: String },
    #[error("object-store output is not supported yet: {url}\n  hint: write to a local folder")]
    UnsupportedOutput { url: String },
}

/// Any error of a command, with its exit code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Compute(ComputeError),
    #[error(transparent)]
    Publish(#[from] PublishError),
    #[error("{0}")]
    Usage(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    #[error(
        "the cluster {role} stopped: {message}\n  hint: is the address free, and (executor) is the scheduler running at --scheduler?"
    )]
    ClusterService { role: &'static str, message: String },
}

impl From<ComputeError> for Error {
    fn from(e: ComputeError) -> Self {
        match e {
            ComputeError::Ingest(i) => Error::Ingest(i),
            other => Error::Compute(other),
        }
    }
}

impl Error {
    /// 1: the data could not be handled (unreadable file, schema off the contract);
    /// 2: usage, configuration, output or internal errors (extracts.md, issue 2 exit codes).
    pub fn exit_code(&self) -> u8 {
        match self {
            // An input that cannot be opened at all is a usage error, not a data error.
            Error::Ingest(IngestError::InputUrl { .. }) => 2,
            Error::Ingest(_) => 1,
            _ => 2,
        }
    }
}
