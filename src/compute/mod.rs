//! Compute: every indicator of the catalogue, with DataFusion SQL, one scan per source table.
//!
//! - [`functions`]: the SQL functions of the date rules (open days, months, …);
//! - [`plan`]: compiles a table's indicators into one aggregate query, the *cube*;
//! - [`rollup`]: pools cube cells into caisse, organism and national values per month and year;
//! - [`values`]: the `indicator_values` rows.

pub mod functions;
pub mod plan;
pub mod rollup;
pub mod values;

use std::sync::Arc;
use std::time::Instant;

use datafusion::catalog::MemTable;
use datafusion::catalog::streaming::StreamingTable;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::catalogue::{Catalogue, Indicator};
use crate::contract;
use crate::error::ComputeError;
use crate::ingest::{Input, RejectLog, TableCounts, TableSource};
pub use plan::TablePlan;
pub use values::{IndicatorValue, Level};

/// Options of a computation.
#[derive(Debug, Clone, Default)]
pub struct ComputeOptions {
    /// Years to publish; empty: all years found.
    pub years: Vec<i32>,
    /// Partitions of the aggregation (default: the number of cores).
    pub target_partitions: Option<usize>,
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
}

/// One input file of a table.
#[derive(Debug, Clone)]
pub struct FileRun {
    pub path: String,
    pub bytes: u64,
    pub rows: u64,
}

/// An indicator definition that could not be computed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotComputed {
    pub indicator_id: String,
    pub definition: String,
    pub reason: String,
}

/// Everything a computation produced.
#[derive(Debug, Clone, Default)]
pub struct ComputeOutput {
    /// Sorted in the stable order of `indicator_values`.
    pub values: Vec<IndicatorValue>,
    pub tables: Vec<TableRun>,
    pub computed: Vec<(String, String)>,
    pub not_computed: Vec<NotComputed>,
}

/// A DataFusion session with parangon's functions.
pub fn session(options: &ComputeOptions) -> SessionContext {
    let partitions = options
        .target_partitions
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let config = SessionConfig::new()
        .with_target_partitions(partitions)
        .with_information_schema(false);
    let ctx = SessionContext::new_with_config(config);
    functions::register(&ctx);
    ctx
}

/// Computes every indicator of `catalogue` on `input`. Tables of the input that no indicator
/// uses are still read and checked, so that their rejects are reported.
pub async fn compute(
    input: &Input,
    catalogue: &Catalogue,
    options: &ComputeOptions,
    observer: &dyn Observer,
) -> Result<ComputeOutput, ComputeError> {
    let mut output = ComputeOutput::default();
    for table in &input.tables {
        let name = table.spec.name;
        let indicators: Vec<&Indicator> = catalogue
            .indicators
            .iter()
            .filter(|i| i.table == name)
            .collect();
        observer.table_started(name, table.files.iter().map(|f| f.rows).sum());
        let started = Instant::now();
        if indicators.is_empty() {
            table.drain().await?;
        } else {
            let values = compute_table(table, &indicators, input, options).await?;
            output.values.extend(values);
            for ind in &indicators {
                output
                    .computed
                    .push((ind.id.clone(), ind.definition.clone()));
            }
        }
        let run = table_run(table, started.elapsed().as_secs_f64());
        observer.table_finished(name, &run.counts);
        output.tables.push(run);
    }
    for name in &input.missing {
        for ind in catalogue.indicators.iter().filter(|i| i.table == *name) {
            output.not_computed.push(NotComputed {
                indicator_id: ind.id.clone(),
                definition: ind.definition.clone(),
                reason: format!("not computed: no {name} extract"),
            });
        }
    }
    values::sort(&mut output.values);
    Ok(output)
}

async fn compute_table(
    table: &TableSource,
    indicators: &[&Indicator],
    input: &Input,
    options: &ComputeOptions,
) -> Result<Vec<IndicatorValue>, ComputeError> {
    let name = table.spec.name;
    let ctx = session(options);
    let provider = StreamingTable::try_new(
        TableSource::output_schema(table.spec),
        vec![table.partition()],
    )
    .map_err(|source| ComputeError::Query {
        table: name.to_string(),
        source,
    })?;
    ctx.register_table(name, Arc::new(provider))
        .map_err(|source| ComputeError::Query {
            table: name.to_string(),
            source,
        })?;
    let plan = TablePlan::compile(&ctx, name, indicators).await?;
    tracing::debug!(table = name, sql = %plan.sql, "cube query");
    let query_error = |source| match table.take_fatal() {
        Some(ingest) => ComputeError::Ingest(ingest),
        None => ComputeError::Query {
            table: name.to_string(),
            source,
        },
    };
    let cube = ctx
        .sql(&plan.sql)
        .await
        .map_err(query_error)?
        .collect()
        .await
        .map_err(query_error)?;
    if let Some(fatal) = table.take_fatal() {
        return Err(ComputeError::Ingest(fatal));
    }
    rollup::rollup(&plan, &cube, &input.reference, &options.years)
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
    }
}

/// Compiles the plan of `indicator`'s table against an empty table (no input needed), for
/// `parangon indicators show`.
pub async fn explain(
    catalogue: &Catalogue,
    indicator: &Indicator,
) -> Result<(String, String), ComputeError> {
    let spec = contract::table(&indicator.table).expect("checked at load");
    let ctx = session(&ComputeOptions::default());
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
    let same_table: Vec<&Indicator> = catalogue
        .indicators
        .iter()
        .filter(|i| i.table == indicator.table)
        .collect();
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
