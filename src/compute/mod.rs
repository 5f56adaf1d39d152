//! Compute: every indicator of the catalogue, with DataFusion SQL, one scan per source table.
//!
//! - [`functions`]: the SQL functions of the date rules (open days, months, …);
//! - [`plan`]: compiles a table's indicators into one aggregate query, the *cube*;
//! - [`rollup`]: pools cube cells into caisse, organism and national values per month and year;
//! - [`as_of`]: the as-of date of each caisse and table (pending records, provisional periods).
//! - [`derived`]: derived indicators (`complement`, `yoy`, `dispersion`, `caisses_meeting`),
//!   from the pooled values of every table.
//!
//! The values come out raw, in the stable order of `indicator_values`: targets,
//! confidentiality and the benchmark are `crate::assess`.

pub mod as_of;
#[cfg(feature = "cluster")]
pub mod cluster;
pub mod derived;
pub mod functions;
pub mod plan;
pub mod rollup;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use datafusion::arrow::array::RecordBatch;

use datafusion::catalog::MemTable;
use datafusion::catalog::streaming::StreamingTable;
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::contract;
use crate::error::ComputeError;
use crate::ingest::{Input, RejectLog, SpillTotals, TableCounts, TableSource};
use crate::model::{Catalogue, Indicator, IndicatorValue, NotComputed};
pub use plan::{Part, TablePlan};
use rollup::{Base, Interner};

/// Options of a computation.
#[derive(Debug, Clone, Default)]
pub struct ComputeOptions {
    /// Years to publish; empty: all years found.
    pub years: Vec<i32>,
    /// Partitions of the aggregation (default: the number of cores).
    pub target_partitions: Option<usize>,
    /// Memory the engine may use, in bytes (default [`default_memory_limit`]). Aggregations
    /// beyond it spill to disk (DataFusion's `FairSpillPool`); the duplicate-id check keeps at
    /// most a quarter of it (and 32 MiB) in memory, and defers to disk beyond.
    pub memory_limit: Option<usize>,
    /// Run the cube queries on a Ballista cluster instead of in this process.
    pub cluster: Option<ClusterOptions>,
    /// `--as-of`: the as-of date of every caisse and table (Date32 days), over the reference's
    /// `extract_date` and the dates derived from the data.
    pub as_of: Option<i32>,
}

/// Where and how a run uses a Ballista cluster (docs/scaling.md).
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// The scheduler, `df://host:port`.
    pub url: String,
    /// A folder the scheduler and every executor read at the same path, where each table's
    /// accepted rows are staged as Parquet for the executors (removed after the table).
    pub staging: std::path::PathBuf,
}

/// What happened to one source table.
#[derive(Debug, Clone)]
pub struct TableRun {
    pub table: &'static str,
    pub files: Vec<FileRun>,
    pub counts: TableCounts,
    pub rejects: RejectLog,
    pub warnings: Vec<String>,
    pub seconds: f64,
    /// Spill files and bytes the cube query wrote under the memory limit.
    pub spill_files: u64,
    pub spilled_bytes: u64,
}

/// One input file of a table.
#[derive(Debug, Clone)]
pub struct FileRun {
    pub path: String,
    pub bytes: u64,
    pub rows: u64,
}

/// Everything a computation produced.
#[derive(Debug, Clone, Default)]
pub struct ComputeOutput {
    /// Sorted in the stable order of `indicator_values`.
    pub values: Vec<IndicatorValue>,
    pub tables: Vec<TableRun>,
    pub computed: Vec<(String, String)>,
    pub not_computed: Vec<NotComputed>,
    /// The as-of date(s) of each caisse in the tables computed, for the manifest.
    pub as_of: Vec<as_of::CaisseAsOf>,
}

/// Half the machine's physical memory (`/proc/meminfo`), or 4 GiB where it cannot be read: the
/// rest is left to the operating system's page cache, which the Parquet reads rely on.
pub fn default_memory_limit() -> usize {
    let total_kib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        });
    total_kib.map_or(4 << 30, |kib| kib * 1024 / 2)
}

/// A DataFusion session with parangon's functions and the memory limit.
pub fn session(options: &ComputeOptions) -> Result<SessionContext, ComputeError> {
    let partitions = partitions(options);
    let config = SessionConfig::new()
        .with_target_partitions(partitions)
        .with_information_schema(false);
    let limit = options.memory_limit.unwrap_or_else(default_memory_limit);
    // Fair rather than greedy: the cube's partial and final aggregations both get a share and
    // spill (to the OS temporary folder) instead of one starving the other.
    let runtime = RuntimeEnvBuilder::new()
        .with_memory_pool(Arc::new(FairSpillPool::new(limit)))
        .build_arc()
        .map_err(|source| ComputeError::Runtime { source })?;
    let ctx = SessionContext::new_with_config_rt(config, runtime);
    functions::register(&ctx);
    Ok(ctx)
}

fn partitions(options: &ComputeOptions) -> usize {
    options
        .target_partitions
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
}

/// Spill files and bytes written by every operator of an executed plan.
fn spills(plan: &dyn ExecutionPlan) -> SpillTotals {
    let mut totals = plan
        .metrics()
        .map_or(SpillTotals::default(), |m| SpillTotals {
            files: m.spill_count().unwrap_or(0) as u64,
            bytes: m.spilled_bytes().unwrap_or(0) as u64,
        });
    for child in plan.children() {
        let child = spills(child.as_ref());
        totals.files += child.files;
        totals.bytes += child.bytes;
    }
    totals
}

/// Computes every indicator of `catalogue` on `input`. Tables of the input that no indicator
/// uses are still read and checked, so that their rejects are reported.
pub async fn compute(
    input: &Input,
    catalogue: &Catalogue,
    options: &ComputeOptions,
    observer: &dyn Observer,
) -> Result<ComputeOutput, ComputeError> {
    #[cfg(not(feature = "cluster"))]
    if options.cluster.is_some() {
        return Err(ComputeError::ClusterNotBuilt);
    }
    let mut output = ComputeOutput::default();
    let mut interner = Interner::default();
    // yoy needs year N−1 of every year asked for; those extra years are dropped at the end.
    let years = derived::years_needed(catalogue, &options.years);
    // The two sides of ratios across tables, joined once both tables are read.
    let mut sides: BTreeMap<(String, String), (Option<Base>, Option<Base>)> = BTreeMap::new();
    let mut crossing: BTreeMap<(String, String), &Indicator> = BTreeMap::new();
    let mut dates: Vec<(&str, as_of::TableAsOf)> = Vec::new();
    for table in &input.tables {
        let name = table.spec.name;
        let parts = parts_of(catalogue, name);
        observer.table_started(name, table.files.iter().map(|f| f.rows).sum());
        let started = Instant::now();
        let mut spill = SpillTotals::default();
        let mut warnings = Vec::new();
        if parts.is_empty() {
            table.drain().await?;
        } else {
            let (plan, cube, deductions, spilled) = compute_table(table, &parts, options).await?;
            spill = spilled;
            let (latest, inexact) = table.latest.lock().expect("latest events").result();
            for i in inexact {
                warnings.push(format!(
                    "the latest event date of caisse {} could not be told apart from duplicate \
                     rows: its derived as-of date counts them",
                    input.reference.caisses[i].caisse_id
                ));
            }
            let table_as_of = as_of::resolve(name, &input.reference, options.as_of, &latest);
            let bases =
                rollup::base_cells(&plan, &cube, deductions, &input.reference, &mut interner)?;
            for (compiled, base) in plan.indicators.iter().zip(bases) {
                let def = &compiled.def;
                let key = (def.id.clone(), def.definition.clone());
                match compiled.part {
                    Part::Whole => {
                        output.values.extend(rollup::expand(
                            def,
                            base,
                            &input.reference,
                            &interner,
                            &years,
                            &table_as_of,
                        ));
                        output.computed.push(key);
                    }
                    Part::Numerator => sides.entry(key).or_default().0 = Some(base),
                    Part::Denominator => sides.entry(key).or_default().1 = Some(base),
                }
            }
            for (ind, part) in &parts {
                if *part != Part::Whole {
                    crossing.insert((ind.id.clone(), ind.definition.clone()), ind);
                }
            }
            dates.push((name, table_as_of));
        }
        let mut run = table_run(table, started.elapsed().as_secs_f64());
        run.warnings.extend(warnings);
        // The cube's spills, and the duplicate check's (a table beyond its budget).
        let checked = *table.spilled.lock().expect("spilled");
        run.spill_files = spill.files + checked.files;
        run.spilled_bytes = spill.bytes + checked.bytes;
        observer.table_finished(name, &run.counts);
        output.tables.push(run);
    }
    for (key, (numerator, denominator)) in sides {
        if let (Some(numerator), Some(denominator)) = (numerator, denominator) {
            let joined = Base::join_ratio(numerator, &denominator);
            let def = crossing[&key];
            // The numerator's table places the values: its as-of dates decide.
            let none = as_of::TableAsOf::none();
            let table_as_of = dates
                .iter()
                .find(|(t, _)| *t == def.table)
                .map_or(&none, |(_, a)| a);
            output.values.extend(rollup::expand(
                def,
                joined,
                &input.reference,
                &interner,
                &years,
                table_as_of,
            ));
            output.computed.push(key);
        }
    }
    for ind in &catalogue.indicators {
        if let Some(missing) = ind
            .source_tables()
            .into_iter()
            .find(|t| input.missing.contains(t))
        {
            output.not_computed.push(NotComputed {
                indicator_id: ind.id.clone(),
                definition: ind.definition.clone(),
                reason: format!("not computed: no {missing} extract"),
            });
        }
    }
    // Derived indicators, from the values of every table (no second scan).
    let derived = derived::derive(catalogue, &output.values);
    output.values.extend(derived);
    if years != options.years {
        output.values.retain(|v| options.years.contains(&v.year));
    }
    derived::status(catalogue, &mut output.computed, &mut output.not_computed);
    output.computed.sort();
    let tables: Vec<(&str, &as_of::TableAsOf)> = dates.iter().map(|(t, a)| (*t, a)).collect();
    output.as_of = as_of::summary(&input.reference, &tables);
    crate::model::sort(&mut output.values);
    Ok(output)
}

/// The indicators (or ratio sides) that read `table`.
fn parts_of<'a>(catalogue: &'a Catalogue, table: &str) -> Vec<(&'a Indicator, Part)> {
    let mut parts = Vec::new();
    for ind in catalogue
        .indicators
        .iter()
        .filter(|i| !i.method.is_derived())
    {
        match &ind.denominator_table {
            None if ind.table == table => parts.push((ind, Part::Whole)),
            None => {}
            Some(other) => {
                if ind.table == table {
                    parts.push((ind, Part::Numerator));
                }
                if other == table {
                    parts.push((ind, Part::Denominator));
                }
            }
        }
    }
    parts
}

/// Runs the cube query of one table (its only scan) and returns the plan, the cube, what to
/// deduct from it (duplicates found after they were streamed) and the spill counts.
async fn compute_table(
    table: &TableSource,
    parts: &[(&Indicator, Part)],
    options: &ComputeOptions,
) -> Result<(TablePlan, Vec<RecordBatch>, rollup::Deductions, SpillTotals), ComputeError> {
    let name = table.spec.name;
    let query_error = |source: datafusion::error::DataFusionError| match table.take_fatal() {
        Some(ingest) => ComputeError::Ingest(ingest),
        None => match source.find_root() {
            datafusion::error::DataFusionError::ResourcesExhausted(message) => {
                ComputeError::Memory {
                    table: name.to_string(),
                    message: message.clone(),
                }
            }
            _ => match &options.cluster {
                Some(cluster) => ComputeError::Cluster {
                    table: name.to_string(),
                    url: cluster.url.clone(),
                    message: source.to_string(),
                },
                None => ComputeError::Query {
                    table: name.to_string(),
                    source,
                },
            },
        },
    };
    let result = match run_cube(table, parts, options, &query_error).await {
        Ok((plan, cube, spilled)) => deductions(table, &plan, options, &query_error)
            .await
            .map(|deductions| (plan, cube, deductions, spilled)),
        Err(e) => Err(e),
    };
    // The staged rows are only needed by this query: removed whether it succeeded or not.
    if let Some(cluster) = &options.cluster {
        let staged = cluster.staging.join(name);
        if staged.exists()
            && let Err(e) = std::fs::remove_dir_all(&staged)
        {
            tracing::warn!(table = name, "could not remove {}: {e}", staged.display());
        }
    }
    result
}

/// The cube of the rows the deferred duplicate check rejected after they were streamed (and
/// counted in the cube): the same query, on those rows only, here (they are few, and a
/// cluster never sees them apart).
async fn deductions(
    table: &TableSource,
    plan: &TablePlan,
    options: &ComputeOptions,
    query_error: &dyn Fn(datafusion::error::DataFusionError) -> ComputeError,
) -> Result<rollup::Deductions, ComputeError> {
    let Some(duplicates) = table.duplicates.lock().expect("duplicates slot").take() else {
        return Ok(rollup::Deductions::default());
    };
    tracing::debug!(
        table = plan.table,
        rows = duplicates.rows,
        "deducting duplicates"
    );
    let ctx = streaming_session(table, vec![duplicates.partition()], options, query_error)?;
    let cube = ctx
        .sql(&plan.sql)
        .await
        .map_err(query_error)?
        .collect()
        .await
        .map_err(query_error)?;
    rollup::Deductions::read(plan, &cube)
}

/// A session where `table` is the rows that `partitions` stream.
fn streaming_session(
    table: &TableSource,
    partitions: Vec<Arc<dyn datafusion::physical_plan::streaming::PartitionStream>>,
    options: &ComputeOptions,
    query_error: &dyn Fn(datafusion::error::DataFusionError) -> ComputeError,
) -> Result<SessionContext, ComputeError> {
    let ctx = session(options)?;
    let provider = StreamingTable::try_new(TableSource::output_schema(table.spec), partitions)
        .map_err(query_error)?;
    ctx.register_table(table.spec.name, Arc::new(provider))
        .map_err(query_error)?;
    Ok(ctx)
}

async fn run_cube(
    table: &TableSource,
    parts: &[(&Indicator, Part)],
    options: &ComputeOptions,
    query_error: &dyn Fn(datafusion::error::DataFusionError) -> ComputeError,
) -> Result<(TablePlan, Vec<RecordBatch>, SpillTotals), ComputeError> {
    let name = table.spec.name;
    let ctx = match &options.cluster {
        None => streaming_session(
            table,
            table.partitions(partitions(options)),
            options,
            query_error,
        )?,
        Some(cluster) => on_cluster(table, cluster, options)
            .await
            .map_err(query_error)?,
    };
    let plan = TablePlan::compile(&ctx, name, parts).await?;
    tracing::debug!(table = name, sql = %plan.sql, "cube query");
    let physical = ctx
        .sql(&plan.sql)
        .await
        .map_err(query_error)?
        .create_physical_plan()
        .await
        .map_err(query_error)?;
    let cube = datafusion::physical_plan::collect(physical.clone(), ctx.task_ctx())
        .await
        .map_err(query_error)?;
    if let Some(fatal) = table.take_fatal() {
        return Err(ComputeError::Ingest(fatal));
    }
    Ok((plan, cube, spills(physical.as_ref())))
}

/// Validates `table` here, stages its accepted rows for the executors, and returns a client
/// session of the cluster where the staged rows are the table (see [`cluster`]).
#[cfg(feature = "cluster")]
async fn on_cluster(
    table: &TableSource,
    options: &ClusterOptions,
    compute: &ComputeOptions,
) -> datafusion::error::Result<SessionContext> {
    let name = table.spec.name;
    // The local session only lends its memory pool to the validation (duplicate-id check).
    let local =
        session(compute).map_err(|e| datafusion::error::DataFusionError::External(e.into()))?;
    let dir = options.staging.join(name);
    let rows = cluster::stage(table.partition().execute(local.task_ctx()), &dir).await?;
    tracing::debug!(table = name, rows, dir = %dir.display(), "staged for the cluster");
    let ctx = cluster::client(&options.url, partitions(compute)).await?;
    cluster::register_staged(&ctx, name, &dir, TableSource::output_schema(table.spec))?;
    Ok(ctx)
}

/// Without the feature, [`compute`] refuses `--cluster` before reading anything.
#[cfg(not(feature = "cluster"))]
async fn on_cluster(
    _table: &TableSource,
    _options: &ClusterOptions,
    _compute: &ComputeOptions,
) -> datafusion::error::Result<SessionContext> {
    datafusion::common::not_impl_err!("built without the cluster feature")
}

fn table_run(table: &TableSource, seconds: f64) -> TableRun {
    TableRun {
        table: table.spec.name,
        files: table
            .files
            .iter()
            .map(|f| FileRun {
                path: f.name.clone(),
                bytes: f.meta.size,
                rows: f.rows,
            })
            .collect(),
        counts: table.counts.lock().expect("counts").clone(),
        rejects: table.log.lock().expect("rejects").clone(),
        warnings: table.warnings.clone(),
        seconds,
        spill_files: 0,
        spilled_bytes: 0,
    }
}

/// Compiles the plan of `indicator`'s table against an empty table (no input needed), for
/// `parangon indicators show`.
pub async fn explain(
    catalogue: &Catalogue,
    indicator: &Indicator,
) -> Result<(String, String), ComputeError> {
    if indicator.method.is_derived() {
        let input = catalogue
            .input_of(indicator)
            .map_or_else(|| "?".to_string(), Indicator::key);
        return Ok((
            format!(
                "  none: `{}` of {input}, computed from its values once every table is rolled up",
                indicator.method.as_str()
            ),
            String::new(),
        ));
    }
    let spec = contract::table(&indicator.table).expect("checked at load");
    let ctx = session(&ComputeOptions::default())?;
    let empty =
        MemTable::try_new(TableSource::output_schema(spec), vec![vec![]]).map_err(|source| {
            ComputeError::Query {
                table: spec.name.to_string(),
                source,
            }
        })?;
    ctx.register_table(spec.name, Arc::new(empty))
        .map_err(|source| ComputeError::Query {
            table: spec.name.to_string(),
            source,
        })?;
    let same_table = parts_of(catalogue, spec.name);
    let plan = TablePlan::compile(&ctx, spec.name, &same_table).await?;
    let compiled = plan
        .indicators
        .iter()
        .find(|c| c.def.id == indicator.id && c.def.definition == indicator.definition)
        .expect("compiled with its table");
    Ok((plan.explain(compiled), plan.sql.clone()))
}

/// Progress of a computation, for the CLI's bars (the library prints nothing).
pub trait Observer: Sync {
    fn table_started(&self, _table: &str, _rows: u64) {}
    fn table_finished(&self, _table: &str, _counts: &TableCounts) {}
}

/// An observer that ignores everything.
pub struct Silent;
impl Observer for Silent {}
