//! The pipeline of `parangon run`: ingest → validate → compute → publish, and of
//! `parangon validate` (ingest → validate only).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::catalogue::Catalogue;
use crate::compute::{self, ComputeOptions, NotComputed, Observer, TableRun};
use crate::contract::{self, TableSpec};
use crate::error::Error;
use crate::ingest::Input;
use crate::publish::{self, Publication, manifest};

/// What `parangon run` is asked to do.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub input: String,
    /// A folder, `file://…` or an object-store URL (`s3://bucket/prefix`).
    pub output: String,
    pub pipelines: PathBuf,
    pub years: Vec<i32>,
    pub select: Vec<String>,
    /// Year N of the annex (default: the latest year with values).
    pub annex_year: Option<i32>,
    /// Confidentiality threshold of the tables whose pipeline file sets none (default 11).
    pub suppression_threshold: Option<i64>,
    /// Memory the engine may use, in bytes (default: half the machine's memory).
    pub memory_limit: Option<usize>,
    /// Recompute even when nothing changed since the published run.
    pub force: bool,
    /// Run the cube queries on a Ballista cluster (same results as in this process).
    pub cluster: Option<compute::ClusterOptions>,
}

/// What a run did, for the summary printed at the end.
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub run_id: String,
    pub output: String,
    pub tables: Vec<TableRun>,
    pub values: usize,
    /// Values masked for statistical confidentiality (primary and secondary).
    pub suppressed: u64,
    /// The default threshold of the run.
    pub suppression_threshold: i64,
    pub definitions_computed: usize,
    pub not_computed: Vec<NotComputed>,
    pub files_written: usize,
    pub seconds: f64,
    /// Nothing changed since the published run `run_id`: nothing was recomputed or written.
    pub unchanged: bool,
}

/// Runs the whole pipeline and publishes its outputs atomically.
pub async fn run(options: &RunOptions, observer: &dyn Observer) -> Result<RunSummary, Error> {
    let started = Instant::now();
    let started_at = chrono::Utc::now();
    let run_id = format!(
        "{}-{}",
        started_at.format("%Y%m%dT%H%M%SZ"),
        std::process::id()
    );
    let mut catalogue = Catalogue::load(&options.pipelines)?;
    catalogue.select(&options.select)?;
    // Take the output first: a second run on the same output fails before reading anything.
    let target = publish::Target::open(&options.output)?;
    let tables = tables_to_read(&catalogue, !options.select.is_empty());
    let input = Input::open(&options.input, &tables).await?;
    let fingerprint = fingerprint(options, &catalogue, &input).await?;
    if !options.force
        && let Some(previous) = unchanged_since(target.published_manifest().await, &fingerprint)
    {
        return Ok(RunSummary {
            run_id: previous,
            output: target.display(),
            tables: Vec::new(),
            values: 0,
            suppressed: 0,
            suppression_threshold: 0,
            definitions_computed: 0,
            not_computed: Vec::new(),
            files_written: 0,
            seconds: started.elapsed().as_secs_f64(),
            unchanged: true,
        });
    }
    let ingest_seconds = started.elapsed().as_secs_f64();
    let compute_options = ComputeOptions {
        years: options.years.clone(),
        target_partitions: None,
        suppression_threshold: options.suppression_threshold,
        memory_limit: options.memory_limit,
        cluster: options.cluster.clone(),
    };
    let checksums = spawn_checksums(&input);
    let computed = compute::compute(&input, &catalogue, &compute_options, observer).await?;
    publish::folder::fault_point("compute");
    let compute_seconds = started.elapsed().as_secs_f64() - ingest_seconds;

    let mut publication = Publication::default();
    let annex_year = options
        .annex_year
        .or_else(|| publish::annex::latest_year(&computed.values));
    publish::results::add_results(
        &mut publication,
        &computed.values,
        &catalogue,
        &input.reference.caisses,
        annex_year,
    )?;
    for t in &computed.tables {
        publication.add_parquet(
            &format!("rejects/{}/part-00000.parquet", t.table),
            &t.rejects.to_batch(),
        )?;
    }
    let mut stages = manifest::Stages {
        ingest_seconds: round3(ingest_seconds),
        compute_seconds: round3(compute_seconds),
        publish_seconds: 0.0,
    };
    let publish_started = Instant::now();
    let outputs = publication.listing();
    stages.publish_seconds = round3(publish_started.elapsed().as_secs_f64());
    let manifest = manifest::Manifest {
        schema_version: manifest::SCHEMA_VERSION,
        run_id: run_id.clone(),
        fingerprint,
        tool: manifest::Tool {
            name: "parangon",
            version: env!("CARGO_PKG_VERSION"),
        },
        started_at: started_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        finished_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        arguments: manifest::Arguments {
            input: options.input.clone(),
            output: target.display(),
            years: options.years.clone(),
            select: options.select.clone(),
            memory_limit_bytes: compute_options
                .memory_limit
                .unwrap_or_else(compute::default_memory_limit),
            cluster: options.cluster.as_ref().map(|c| c.url.clone()),
        },
        catalogue: manifest::CatalogueInfo {
            dir: catalogue.dir.display().to_string(),
            version: catalogue.version.clone(),
            definitions: catalogue.indicators.len(),
        },
        inputs: inputs_section(
            &input,
            &computed.tables,
            &checksums
                .await
                .map_err(|e| Error::Usage(format!("input checksums: {e}")))??,
        ),
        indicators: manifest::Indicators {
            computed: computed
                .computed
                .iter()
                .map(|(id, d)| manifest::Definition {
                    indicator_id: id.clone(),
                    definition: d.clone(),
                })
                .collect(),
            not_computed: computed
                .not_computed
                .iter()
                .map(|n| manifest::NotComputed {
                    indicator_id: n.indicator_id.clone(),
                    definition: n.definition.clone(),
                    reason: n.reason.clone(),
                })
                .collect(),
        },
        confidentiality: manifest::Confidentiality {
            thresholds: computed.suppression.thresholds.clone(),
            suppressed_primary: computed.suppression.primary,
            suppressed_secondary: computed.suppression.secondary,
        },
        outputs: outputs.clone(),
        annex_year,
        stages,
    };
    let json =
        serde_json::to_vec_pretty(&manifest).map_err(|e| publish_encode("manifest.json", e))?;
    publication.add_bytes("manifest.json", json);
    target.publish(&run_id, &publication).await?;
    Ok(RunSummary {
        run_id,
        output: target.display(),
        tables: computed.tables,
        values: computed.values.len(),
        suppressed: computed.suppression.primary + computed.suppression.secondary,
        suppression_threshold: compute_options
            .suppression_threshold
            .unwrap_or(compute::confidentiality::DEFAULT_THRESHOLD),
        definitions_computed: computed.computed.len(),
        not_computed: computed.not_computed,
        files_written: outputs.len() + 1,
        seconds: started.elapsed().as_secs_f64(),
        unchanged: false,
    })
}

/// What decides a run's outputs, read cheaply: the tool and catalogue versions, the options that
/// change results, the reference's SHA-256 (a small file) and, for every table file, its path,
/// size, modification time and e-tag from the listing — no data is read. Equal fingerprints mean
/// a rerun would publish the same bytes (docs/performance.md, « Cheap reruns »).
async fn fingerprint(
    options: &RunOptions,
    catalogue: &Catalogue,
    input: &Input,
) -> Result<String, Error> {
    use sha2::{Digest, Sha256};
    let reference = datafusion::object_store::path::Path::from(input.reference.file.as_str());
    let mut text = format!(
        "parangon {}\ncatalogue {}\nyears {:?}\nselect {:?}\nannex {:?}\nthreshold {:?}\nreference {} {}\n",
        env!("CARGO_PKG_VERSION"),
        catalogue.version,
        options.years,
        options.select,
        options.annex_year,
        options.suppression_threshold,
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
fn unchanged_since(published_manifest: Option<Vec<u8>>, fingerprint: &str) -> Option<String> {
    let bytes = published_manifest?;
    let manifest: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    (manifest["fingerprint"] == fingerprint)
        .then(|| manifest["run_id"].as_str().map(String::from))?
}

/// Renders the benchmark, dimension tables and annex again from an existing output folder,
/// without recomputing (`parangon annex`), and publishes the folder atomically.
pub fn render_annex(output: &Path, pipelines: &Path, year: Option<i32>) -> Result<PathBuf, Error> {
    let catalogue = Catalogue::load(pipelines)?;
    let lock = publish::folder::lock(output)?;
    if !lock.output.join("manifest.json").is_file() {
        return Err(Error::Usage(format!(
            "{} is not a parangon output (no manifest.json): run `parangon run --output {}` first",
            output.display(),
            output.display()
        )));
    }
    let values = publish::results::read_indicator_values(&lock.output)?;
    let caisses = publish::results::read_dim_caisse(&lock.output)?;
    let mut publication = Publication::default();
    for (relative, bytes) in read_tree(&lock.output)? {
        // Derived files are rebuilt; an annex of another year must not linger.
        if !relative.starts_with("annex/") {
            publication.add_bytes(&relative, bytes);
        }
    }
    let annex_year = year.or_else(|| publish::annex::latest_year(&values));
    publish::results::add_derived(&mut publication, &values, &catalogue, &caisses, annex_year)?;
    let manifest_bytes =
        std::fs::read(lock.output.join("manifest.json")).map_err(|source| Error::Io {
            context: "reading manifest.json".into(),
            source,
        })?;
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&manifest_bytes).map_err(|e| publish_encode("manifest.json", e))?;
    publication.add_bytes("manifest.json", Vec::new());
    let listing: Vec<_> = publication
        .listing()
        .into_iter()
        .filter(|f| f.path != "manifest.json")
        .collect();
    manifest["outputs"] =
        serde_json::to_value(&listing).map_err(|e| publish_encode("manifest.json", e))?;
    manifest["annex_year"] = serde_json::json!(annex_year);
    manifest["annex_rendered_at"] =
        serde_json::json!(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
    let json =
        serde_json::to_vec_pretty(&manifest).map_err(|e| publish_encode("manifest.json", e))?;
    publication.add_bytes("manifest.json", json);
    let run_id = format!("annex-{}", std::process::id());
    publish::folder::publish(&lock, &run_id, &publication)?;
    Ok(lock.output.clone())
}

/// Every file under `root`, by path relative to it (`/`-separated).
fn read_tree(root: &Path) -> Result<Vec<(String, Vec<u8>)>, Error> {
    let io = |path: &Path| {
        let context = format!("reading {}", path.display());
        move |source| Error::Io { context, source }
    };
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(io(&dir))? {
            let path = entry.map_err(io(&dir))?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path
                    .strip_prefix(root)
                    .expect("under root")
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                let bytes = std::fs::read(&path).map_err(io(&path))?;
                out.push((relative, bytes));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Checks the extracts against the contract without computing (`parangon validate`).
pub async fn validate(
    input: &str,
    observer: &dyn Observer,
) -> Result<(Vec<TableRun>, Vec<&'static str>), Error> {
    let all: Vec<&'static TableSpec> = contract::TABLES.to_vec();
    let input = Input::open(input, &all).await?;
    let catalogue = Catalogue::default();
    let computed =
        compute::compute(&input, &catalogue, &ComputeOptions::default(), observer).await?;
    Ok((computed.tables, input.missing.clone()))
}

/// All contract tables, or only those of the selected indicators.
fn tables_to_read(catalogue: &Catalogue, selected: bool) -> Vec<&'static TableSpec> {
    if selected {
        catalogue
            .tables()
            .iter()
            .filter_map(|t| contract::table(t))
            .collect()
    } else {
        contract::TABLES.to_vec()
    }
}

/// SHA-256 of the reference and of every input file, by path relative to the input root.
/// Starts hashing every input file (SHA-256, for the manifest) on a task of its own: it reads
/// the files while the single validating stream keeps one core busy, so the audit trail costs
/// I/O on the idle core rather than time after the computation.
fn spawn_checksums(
    input: &Input,
) -> tokio::task::JoinHandle<Result<BTreeMap<String, String>, crate::error::IngestError>> {
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

fn inputs_section(
    input: &Input,
    tables: &[TableRun],
    sums: &BTreeMap<String, String>,
) -> manifest::Inputs {
    manifest::Inputs {
        root: input.root.display.clone(),
        reference: manifest::Reference {
            blake3: sums.get(&input.reference.file).cloned().unwrap_or_default(),
            file: input.reference.file.clone(),
            caisses: input.reference.caisses.len(),
            organisms: input.reference.organisms(),
        },
        tables: tables
            .iter()
            .map(|t| {
                let footer_rows: u64 = t.files.iter().map(|f| f.rows).sum();
                manifest::TableInput {
                    table: t.table.to_string(),
                    files: t
                        .files
                        .iter()
                        .map(|f| manifest::FileInput {
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
                        .map(|(reason, rows)| manifest::ReasonCount { reason, rows })
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

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn publish_encode(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Publish(crate::error::PublishError::Encode {
        what: what.to_string(),
        message: e.to_string(),
    })
}

/// The default catalogue folder: `$PARANGON_PIPELINES`, else `./pipelines`.
pub fn default_pipelines() -> PathBuf {
    std::env::var_os("PARANGON_PIPELINES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new("pipelines").to_path_buf())
}
