//! `manifest.json`: the run's audit trail (outputs.md). The tables never hold times; the
//! manifest does, with the inputs (files, sizes, rows read = accepted + rejected), the catalogue
//! version, the indicators computed or not (and why) and every output file with its checksum.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Serialize;

use super::{OutputFile, Publication};
use crate::assess::confidentiality::Suppression;
use crate::compute::as_of::CaisseAsOf;
use crate::compute::{ComputeOutput, TableRun};
use crate::error::{IngestError, PublishError};
use crate::ingest::Input;
use crate::model::{Catalogue, CatalogueSource};

/// Version of this file's layout.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub schema_version: u32,
    pub run_id: String,
    /// Inputs, catalogue and options, as listed (`publish/rerun.rs`): a rerun with the same
    /// fingerprint has nothing to do.
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
    /// Each caisse's as-of date and where it comes from: `given` (reference `extract_date`),
    /// `derived` (per table, the latest event date of its rows) or `option` (`--as-of`).
    pub as_of: Vec<CaisseAsOf>,
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
    /// `--as-of`, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CatalogueInfo {
    /// `embedded` (the catalogue built into the binary) or the folder it was read from.
    pub source: String,
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
    /// The indicator's theme tag (indicators-v2 §1.8, `pipelines/themes.toml`).
    pub theme: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct NotComputed {
    pub indicator_id: String,
    pub definition: String,
    pub reason: String,
    /// The indicator's theme tag.
    pub theme: String,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Stages {
    pub ingest_seconds: f64,
    pub compute_seconds: f64,
    pub publish_seconds: f64,
}

/// What a run did, recorded step by step by `run.rs`; the manifest is its final form.
#[derive(Debug)]
pub struct RunRecord {
    run_id: String,
    started_at: chrono::DateTime<chrono::Utc>,
    clock: Instant,
    arguments: Arguments,
    fingerprint: String,
    catalogue: Option<CatalogueInfo>,
    inputs: Option<Inputs>,
    indicators: Option<Indicators>,
    confidentiality: Option<Confidentiality>,
    annex_year: Option<i32>,
    stages: Stages,
    /// The theme tag of each indicator id, from the catalogue.
    themes: BTreeMap<String, String>,
    as_of: Vec<CaisseAsOf>,
}

impl RunRecord {
    /// Starts the clock; the run id is the start time and the process id.
    pub fn start(arguments: Arguments) -> Self {
        let started_at = chrono::Utc::now();
        Self {
            run_id: format!(
                "{}-{}",
                started_at.format("%Y%m%dT%H%M%SZ"),
                std::process::id()
            ),
            started_at,
            clock: Instant::now(),
            arguments,
            fingerprint: String::new(),
            catalogue: None,
            inputs: None,
            indicators: None,
            confidentiality: None,
            annex_year: None,
            stages: Stages::default(),
            themes: BTreeMap::new(),
            as_of: Vec::new(),
        }
    }

    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// Seconds since the start.
    pub fn seconds(&self) -> f64 {
        self.clock.elapsed().as_secs_f64()
    }

    /// The output as resolved (a folder, or an object-store prefix).
    pub fn output(&mut self, output: String) {
        self.arguments.output = output;
    }

    /// The catalogue read and the input opened (files listed, footers checked).
    pub fn ingested(&mut self, catalogue: &Catalogue, fingerprint: String) {
        self.catalogue = Some(CatalogueInfo {
            source: match &catalogue.source {
                CatalogueSource::Embedded => "embedded".to_string(),
                CatalogueSource::Folder(dir) => dir.display().to_string(),
            },
            version: catalogue.version.clone(),
            definitions: catalogue.indicators.len(),
        });
        self.themes = catalogue
            .indicators
            .iter()
            .map(|i| (i.id.clone(), catalogue.theme_of(&i.id).as_str().to_string()))
            .collect();
        self.fingerprint = fingerprint;
        self.stages.ingest_seconds = round3(self.seconds());
    }

    /// Every table read, checked and computed.
    pub fn computed(
        &mut self,
        input: &Input,
        computed: &ComputeOutput,
        checksums: &BTreeMap<String, String>,
    ) {
        self.inputs = Some(inputs_section(input, &computed.tables, checksums));
        self.as_of = computed.as_of.clone();
        self.indicators = Some(Indicators {
            computed: computed
                .computed
                .iter()
                .map(|(id, d)| Definition {
                    indicator_id: id.clone(),
                    definition: d.clone(),
                    theme: self.themes.get(id).cloned().unwrap_or_default(),
                })
                .collect(),
            not_computed: computed
                .not_computed
                .iter()
                .map(|n| NotComputed {
                    indicator_id: n.indicator_id.clone(),
                    definition: n.definition.clone(),
                    reason: n.reason.clone(),
                    theme: self
                        .themes
                        .get(&n.indicator_id)
                        .cloned()
                        .unwrap_or_default(),
                })
                .collect(),
        });
        self.stages.compute_seconds = round3(self.seconds() - self.stages.ingest_seconds);
    }

    /// Targets and confidentiality applied; the annex is of year `annex_year`.
    pub fn assessed(&mut self, suppression: &Suppression, annex_year: Option<i32>) {
        self.confidentiality = Some(Confidentiality {
            thresholds: suppression.thresholds.clone(),
            suppressed_primary: suppression.primary,
            suppressed_secondary: suppression.secondary,
        });
        self.annex_year = annex_year;
    }

    /// Adds `manifest.json`, listing every other file of `publication`, as its last file.
    pub fn add_manifest(&mut self, publication: &mut Publication) -> Result<(), PublishError> {
        let listing_started = Instant::now();
        let outputs = publication.listing();
        self.stages.publish_seconds = round3(listing_started.elapsed().as_secs_f64());
        let manifest = Manifest {
            schema_version: SCHEMA_VERSION,
            run_id: self.run_id.clone(),
            fingerprint: self.fingerprint.clone(),
            tool: Tool {
                name: "parangon",
                version: env!("CARGO_PKG_VERSION"),
            },
            started_at: timestamp(self.started_at),
            finished_at: timestamp(chrono::Utc::now()),
            arguments: self.arguments.clone(),
            catalogue: self.catalogue.clone().expect("recorded when ingested"),
            inputs: self.inputs.clone().expect("recorded when computed"),
            indicators: self.indicators.clone().expect("recorded when computed"),
            confidentiality: self
                .confidentiality
                .clone()
                .expect("recorded when assessed"),
            outputs,
            annex_year: self.annex_year,
            stages: self.stages.clone(),
            as_of: self.as_of.clone(),
        };
        let json = serde_json::to_vec_pretty(&manifest).map_err(|e| encode_error(&e))?;
        publication.add_bytes("manifest.json", json);
        Ok(())
    }
}

/// The manifest of a published output with its outputs and annex year replaced, after
/// `parangon annex` rendered the annex again (`publication` holds every other file).
pub fn rerendered(
    published: &[u8],
    publication: &Publication,
    annex_year: Option<i32>,
) -> Result<Vec<u8>, PublishError> {
    let mut manifest: serde_json::Value =
        serde_json::from_slice(published).map_err(|e| encode_error(&e))?;
    let listing: Vec<_> = publication
        .listing()
        .into_iter()
        .filter(|f| f.path != "manifest.json")
        .collect();
    manifest["outputs"] = serde_json::to_value(&listing).map_err(|e| encode_error(&e))?;
    manifest["annex_year"] = serde_json::json!(annex_year);
    manifest["annex_rendered_at"] = serde_json::json!(timestamp(chrono::Utc::now()));
    serde_json::to_vec_pretty(&manifest).map_err(|e| encode_error(&e))
}

/// Starts hashing the reference and every input file (BLAKE3, by path relative to the input
/// root) on a task of its own: it reads the files while the single validating stream keeps one
/// core busy, so the audit trail costs I/O on the idle core rather than time after the
/// computation.
pub fn spawn_checksums(
    input: &Input,
) -> tokio::task::JoinHandle<Result<BTreeMap<String, String>, IngestError>> {
    let root = input.root.clone();
    let mut files = vec![(
        input.reference.file.clone(),
        datafusion::object_store::path::Path::from(input.reference.file.as_str()),
    )];
    for table in &input.tables {
        for file in &table.files {
            files.push((file.name.clone(), file.meta.location.clone()));
        }
    }
    tokio::spawn(async move {
        let mut sums = BTreeMap::new();
        for (name, location) in files {
            sums.insert(name, root.blake3(&location).await?);
        }
        Ok(sums)
    })
}

fn inputs_section(input: &Input, tables: &[TableRun], sums: &BTreeMap<String, String>) -> Inputs {
    Inputs {
        root: input.root.display.clone(),
        reference: Reference {
            blake3: sums.get(&input.reference.file).cloned().unwrap_or_default(),
            file: input.reference.file.clone(),
            caisses: input.reference.caisses.len(),
            organisms: input.reference.organisms(),
        },
        tables: tables
            .iter()
            .map(|t| {
                let footer_rows: u64 = t.files.iter().map(|f| f.rows).sum();
                TableInput {
                    table: t.table.to_string(),
                    files: t
                        .files
                        .iter()
                        .map(|f| FileInput {
                            path: f.path.clone(),
                            bytes: f.bytes,
                            rows: f.rows,
                            blake3: sums.get(&f.path).cloned().unwrap_or_default(),
                        })
                        .collect(),
                    rows_read: t.counts.rows_read,
                    rows_accepted: t.counts.rows_accepted,
                    rows_rejected: t.counts.rows_rejected,
                    reconciled: t.counts.rows_read
                        == t.counts.rows_accepted + t.counts.rows_rejected
                        && t.counts.rows_read == footer_rows,
                    reject_reasons: t
                        .rejects
                        .reason_counts()
                        .into_iter()
                        .map(|(reason, rows)| ReasonCount { reason, rows })
                        .collect(),
                    warnings: t.warnings.clone(),
                    seconds: round3(t.seconds),
                    spill_files: t.spill_files,
                    spilled_bytes: t.spilled_bytes,
                }
            })
            .collect(),
        missing_tables: input.missing.iter().map(|s| s.to_string()).collect(),
    }
}

fn timestamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn encode_error(e: &serde_json::Error) -> PublishError {
    PublishError::Encode {
        what: "manifest.json".to_string(),
        message: e.to_string(),
    }
}
