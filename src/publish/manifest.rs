//! `manifest.json`: the run's audit trail (outputs.md). The tables never hold times; the
//! manifest does, with the inputs (files, sizes, rows read = accepted + rejected), the catalogue
//! version, the indicators computed or not (and why) and every output file with its checksum.

use serde::Serialize;

use super::OutputFile;

/// Version of this file's layout.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub schema_version: u32,
    pub run_id: String,
    /// Inputs, catalogue and options, as listed (`run.rs`, `fingerprint`): a rerun with the
    /// same fingerprint has nothing to do.
    pub fingerprint: String,
    pub tool: Tool,
    pub started_at: String,
    pub finished_at: String,
    pub arguments: Arguments,
    pub catalogue: CatalogueInfo,
    pub inputs: Inputs,
    pub indicators: Indicators,
    pub confidentiality: Confidentiality,
    pub outputs: Vec<OutputFile>,
    /// Year N of the annex tables.
    pub annex_year: Option<i32>,
    pub stages: Stages,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Arguments {
    pub input: String,
    pub output: String,
    pub years: Vec<i32>,
    pub select: Vec<String>,
    pub memory_limit_bytes: usize,
    /// The Ballista scheduler the cube queries ran on (`df://host:port`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CatalogueInfo {
    pub dir: String,
    pub version: String,
    pub definitions: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Inputs {
    pub root: String,
    pub reference: Reference,
    pub tables: Vec<TableInput>,
    /// Contract tables absent from the input.
    pub missing_tables: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Reference {
    pub file: String,
    pub blake3: String,
    pub caisses: usize,
    pub organisms: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TableInput {
    pub table: String,
    pub files: Vec<FileInput>,
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_rejected: u64,
    /// `rows_read == rows_accepted + rows_rejected`, and rows read equal the files' footers.
    pub reconciled: bool,
    pub reject_reasons: Vec<ReasonCount>,
    pub warnings: Vec<String>,
    pub seconds: f64,
    /// Spill files and bytes written under the memory limit (0: all in memory).
    pub spill_files: u64,
    pub spilled_bytes: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileInput {
    pub path: String,
    pub bytes: u64,
    pub rows: u64,
    pub blake3: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReasonCount {
    pub reason: String,
    pub rows: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Indicators {
    pub computed: Vec<Definition>,
    pub not_computed: Vec<NotComputed>,
}

/// Statistical confidentiality of the run (docs/confidentiality.md).
#[derive(Debug, Clone, Serialize)]
pub struct Confidentiality {
    /// Values on fewer records than its table's threshold are not published.
    pub thresholds: std::collections::BTreeMap<String, i64>,
    /// Values under their threshold.
    pub suppressed_primary: u64,
    /// Values masked so that no primary one can be recovered from a total.
    pub suppressed_secondary: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Definition {
    pub indicator_id: String,
    pub definition: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct NotComputed {
    pub indicator_id: String,
    pub definition: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Stages {
    pub ingest_seconds: f64,
    pub compute_seconds: f64,
    pub publish_seconds: f64,
}
