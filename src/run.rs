//! The table of contents of parangon: what `run`, `validate` and `annex` do, step by step.
//! Each step is one module — `pipelines` (the definitions), `ingest` (the input and its
//! contract), `compute` (raw values, one scan per table), `assess` (targets, confidentiality,
//! benchmark), `render` (result tables and annex) and `publish` (all files at once, with the
//! manifest recorded along the way).

use std::path::Path;

use crate::compute::{self, ComputeOptions, Observer, TableRun};
use crate::contract::{self, TableSpec};
use crate::error::Error;
use crate::ingest::Input;
use crate::model::{Catalogue, CatalogueSource, NotComputed};
use crate::publish::manifest::{self, RunRecord};
use crate::publish::{self, Publication, rerun};
use crate::{assess, pipelines, render};

/// Runs the whole pipeline and publishes its outputs atomically.
pub async fn run(options: &RunOptions, observer: &dyn Observer) -> Result<RunSummary, Error> {
    let mut record = RunRecord::start(options.arguments());
    // 1. The definitions.
    let catalogue = pipelines::load_selected(&options.catalogue, &options.select)?;
    // 2. The input, once the output is taken (a second run on it fails before reading).
    let target = publish::Target::open(&options.output)?;
    let tables = tables_to_read(&catalogue, &options.select);
    let input = Input::open(&options.input, &tables).await?;
    if let Some(unchanged) = unchanged(options, &mut record, &catalogue, &input, &target).await? {
        return Ok(unchanged);
    }
    let checksums = manifest::spawn_checksums(&input);
    // 3. Raw values, one scan per table.
    let mut computed = compute::compute(&input, &catalogue, &options.compute(), observer).await?;
    publish::folder::fault_point("compute");
    record.computed(&input, &computed, &checksums.await.map_err(join_error)??);
    // 4. Targets, confidentiality, benchmark.
    let raw = std::mem::take(&mut computed.values);
    let assessment = assess::assess(raw, &catalogue, options.threshold());
    let annex_year = options
        .annex_year
        .or_else(|| render::annex::latest_year(&assessment.values));
    record.assessed(&assessment.suppression, annex_year);
    // 5. Every file, in memory: result tables, rejects, annex.
    let caisses = &input.reference.caisses;
    let mut publication = Publication::default();
    render::results(
        &mut publication,
        &assessment,
        &catalogue,
        caisses,
        annex_year,
    )?;
    render::rejects(&mut publication, &computed.tables)?;
    // 6. All at once, the manifest last.
    record.add_manifest(&mut publication)?;
    target.publish(record.run_id(), &publication).await?;
    Ok(RunSummary::of(
        &record,
        &target,
        &publication,
        computed,
        &assessment,
    ))
}

/// The summary of the published run when nothing changed since it (same inputs, catalogue and
/// options, `publish/rerun.rs`) and `--force` is not given; else records the fingerprint.
async fn unchanged(
    options: &RunOptions,
    record: &mut RunRecord,
    catalogue: &Catalogue,
    input: &Input,
    target: &publish::Target,
) -> Result<Option<RunSummary>, Error> {
    record.output(target.display());
    let fingerprint = rerun::fingerprint(&catalogue.version, &options.deciding(), input).await?;
    if !options.force
        && let Some(previous) = rerun::unchanged_since(target, &fingerprint).await
    {
        return Ok(Some(RunSummary::unchanged(previous, target, record)));
    }
    record.ingested(catalogue, fingerprint);
    Ok(None)
}

/// Checks the extracts against the contract without computing (`parangon validate`).
pub async fn validate(
    input: &str,
    observer: &dyn Observer,
) -> Result<(Vec<TableRun>, Vec<&'static str>), Error> {
    let input = Input::open(input, contract::TABLES).await?;
    let computed = compute::compute(
        &input,
        &Catalogue::default(),
        &ComputeOptions::default(),
        observer,
    )
    .await?;
    Ok((computed.tables, input.missing.clone()))
}

/// Renders the benchmark, dimension tables and annex again from a published output folder,
/// without recomputing (`parangon annex`), and publishes the folder atomically.
pub fn render_annex(
    output: &Path,
    catalogue: &CatalogueSource,
    year: Option<i32>,
) -> Result<(), Error> {
    let catalogue = pipelines::load(catalogue)?;
    let lock = publish::folder::lock(output)?;
    let Ok(published_manifest) = std::fs::read(lock.output.join("manifest.json")) else {
        return Err(Error::Usage(format!(
            "{} is not a parangon output (no manifest.json): run `parangon run --output {}` first",
            output.display(),
            output.display()
        )));
    };
    let values = render::values::read(&lock.output)?;
    let caisses = render::dimensions::read_dim_caisse(&lock.output)?;
    let mut publication = Publication::default();
    for (relative, bytes) in publish::folder::read_tree(&lock.output)? {
        // Derived files are rebuilt; an annex of another year must not linger.
        if !relative.starts_with("annex/") {
            publication.add_bytes(&relative, bytes);
        }
    }
    let annex_year = year.or_else(|| render::annex::latest_year(&values));
    let assessment = assess::benchmark_only(values, &catalogue);
    render::derived(
        &mut publication,
        &assessment,
        &catalogue,
        &caisses,
        annex_year,
    )?;
    publication.add_bytes("manifest.json", Vec::new()); // listed last, rewritten below
    let manifest = manifest::rerendered(&published_manifest, &publication, annex_year)?;
    publication.add_bytes("manifest.json", manifest);
    publish::folder::publish(
        &lock,
        &format!("annex-{}", std::process::id()),
        &publication,
    )?;
    Ok(())
}

/// All contract tables, or only those the selected indicators read.
fn tables_to_read(catalogue: &Catalogue, select: &[String]) -> Vec<&'static TableSpec> {
    contract::TABLES
        .iter()
        .copied()
        .filter(|t| select.is_empty() || catalogue.reads(t.name))
        .collect()
}

fn join_error(e: tokio::task::JoinError) -> Error {
    Error::Usage(format!("input checksums: {e}"))
}

/// What `parangon run` is asked to do.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub input: String,
    /// A folder, `file://…` or an object-store URL (`s3://bucket/prefix`).
    pub output: String,
    pub catalogue: CatalogueSource,
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
    /// `--as-of`: the as-of date of every caisse (Date32 days), over `extract_date` and the
    /// dates derived from the data.
    pub as_of: Option<i32>,
}

impl RunOptions {
    fn compute(&self) -> ComputeOptions {
        ComputeOptions {
            years: self.years.clone(),
            target_partitions: None,
            memory_limit: self.memory_limit,
            cluster: self.cluster.clone(),
            as_of: self.as_of,
        }
    }

    fn threshold(&self) -> i64 {
        self.suppression_threshold
            .unwrap_or(assess::confidentiality::DEFAULT_THRESHOLD)
    }

    /// The options that change the outputs, as text for the fingerprint.
    fn deciding(&self) -> String {
        let mut text = format!(
            "years {:?}\nselect {:?}\nannex {:?}\nthreshold {:?}\n",
            self.years, self.select, self.annex_year, self.suppression_threshold
        );
        if let Some(a) = self.as_of {
            text.push_str(&format!("as-of {a}\n"));
        }
        text
    }

    fn arguments(&self) -> manifest::Arguments {
        manifest::Arguments {
            input: self.input.clone(),
            output: self.output.clone(),
            years: self.years.clone(),
            select: self.select.clone(),
            memory_limit_bytes: self
                .memory_limit
                .unwrap_or_else(compute::default_memory_limit),
            cluster: self.cluster.as_ref().map(|c| c.url.clone()),
            as_of: self.as_of.map(|d| crate::calendar::to_date(d).to_string()),
        }
    }
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

impl RunSummary {
    fn unchanged(run_id: String, target: &publish::Target, record: &RunRecord) -> Self {
        RunSummary {
            run_id,
            output: target.display(),
            tables: Vec::new(),
            values: 0,
            suppressed: 0,
            suppression_threshold: 0,
            definitions_computed: 0,
            not_computed: Vec::new(),
            files_written: 0,
            seconds: record.seconds(),
            unchanged: true,
        }
    }

    fn of(
        record: &RunRecord,
        target: &publish::Target,
        publication: &Publication,
        computed: compute::ComputeOutput,
        assessment: &assess::Assessment,
    ) -> Self {
        RunSummary {
            run_id: record.run_id().to_string(),
            output: target.display(),
            tables: computed.tables,
            values: assessment.values.len(),
            suppressed: assessment.suppression.primary + assessment.suppression.secondary,
            suppression_threshold: assessment.suppression.default_threshold,
            definitions_computed: computed.computed.len(),
            not_computed: computed.not_computed,
            files_written: publication.listing().len(),
            seconds: record.seconds(),
            unchanged: false,
        }
    }
}
