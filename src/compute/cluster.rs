//! Running the cube queries on an Apache DataFusion Ballista cluster (cargo feature `cluster`).
//!
//! Ballista ships DataFusion *plans* to its executors, so every table the plan reads must be
//! one an executor can open itself. The validating stream of [`crate::ingest`] is not: it
//! lives in this process, with its reject log and duplicate check. So, in cluster mode, a
//! table's accepted rows are first written once as Parquet to a *staging* folder that the
//! scheduler and executors also see (a shared file system mounted at the same path), and the
//! cube query then reads that folder as a listing table. Everything after the cube — roll-up,
//! confidentiality, publication — stays in this process and is the same code as a local run,
//! which is why the two produce identical outputs (`tests/cluster.rs`).
//!
//! parangon's SQL functions ([`super::functions`]) must exist wherever a plan is decoded: on
//! the scheduler (logical plans) and on every executor (physical plans). Ballista's stock
//! binaries know only the built-in functions, hence [`serve_scheduler`] and
//! [`serve_executor`], behind `parangon cluster scheduler` / `parangon cluster executor`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ballista::prelude::{SessionConfigExt, SessionContextExt};
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::{SchedulerConfig, TaskDistributionPolicy};
use ballista_scheduler::scheduler_process::start_server;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::SendableRecordBatchStream;
use datafusion::execution::registry::FunctionRegistry as _;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::file::properties::WriterProperties;
use datafusion::prelude::{SessionConfig, SessionContext};
use futures::StreamExt;

use super::functions;

/// Rows per staged file: executors split the scan by file, so a table of N million rows
/// gives N tasks to spread over the cluster.
const ROWS_PER_STAGED_FILE: usize = 1 << 20;

/// A client session whose queries run on the scheduler at `url`, with parangon's functions
/// (Ballista's upgrade of the state replaces the scalar functions, so they are registered
/// after it, for planning on this side; the scheduler and executors have their own).
pub async fn client(url: &str, partitions: usize) -> Result<SessionContext> {
    let config = SessionConfig::new_with_ballista()
        .with_target_partitions(partitions)
        .with_information_schema(false);
    let state = SessionStateBuilder::new()
        .with_config(config)
        .with_default_features()
        .build();
    let ctx = SessionContext::remote_with_state(url, state).await?;
    functions::register(&ctx);
    Ok(ctx)
}

/// Writes every batch of `rows` under `dir` (created; emptied first) as Parquet files of
/// [`ROWS_PER_STAGED_FILE`] rows, and returns the number of rows written.
pub async fn stage(mut rows: SendableRecordBatchStream, dir: &Path) -> Result<u64> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    let schema = rows.schema();
    let mut written = 0u64;
    let mut file_index = 0usize;
    let mut writer: Option<(ArrowWriter<std::fs::File>, usize)> = None;
    while let Some(batch) = rows.next().await {
        let batch = batch?;
        if batch.num_rows() == 0 {
            continue;
        }
        let (w, in_file) = match &mut writer {
            Some(open) => open,
            None => {
                let file =
                    std::fs::File::create(dir.join(format!("part-{file_index:05}.parquet")))?;
                file_index += 1;
                let properties = WriterProperties::builder()
                    .set_max_row_group_row_count(Some(ROWS_PER_STAGED_FILE / 4))
                    .build();
                writer.insert((
                    ArrowWriter::try_new(file, schema.clone(), Some(properties))?,
                    0,
                ))
            }
        };
        w.write(&batch)?;
        *in_file += batch.num_rows();
        written += batch.num_rows() as u64;
        if *in_file >= ROWS_PER_STAGED_FILE {
            let (full, _) = writer.take().expect("open writer");
            full.close()?;
        }
    }
    if let Some((last, _)) = writer {
        last.close()?;
    }
    Ok(written)
}

/// Registers the staged folder `dir` as table `name` with the canonical `schema` (declared,
/// not inferred: an empty table has no file to infer from).
pub fn register_staged(
    ctx: &SessionContext,
    name: &str,
    dir: &Path,
    schema: SchemaRef,
) -> Result<()> {
    let absolute = std::path::absolute(dir)?;
    let url = ListingTableUrl::parse(format!("{}/", absolute.display()))?;
    let options =
        ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
    let config = ListingTableConfig::new(url)
        .with_listing_options(options)
        .with_schema(schema);
    ctx.register_table(name, Arc::new(ListingTable::try_new(config)?))?;
    Ok(())
}

/// Runs a Ballista scheduler on `bind` whose sessions know parangon's functions, until the
/// process is stopped.
pub async fn serve_scheduler(bind: SocketAddr) -> Result<()> {
    let config = SchedulerConfig::default()
        .with_hostname(bind.ip().to_string())
        .with_port(bind.port())
        // One task per executor in turn: a national run is spread over the machines rather
        // than filling the first one (Ballista's default, `Bias`).
        .with_task_distribution(TaskDistributionPolicy::RoundRobin)
        .with_override_session_builder(Arc::new(|config: SessionConfig| {
            let mut state = ballista_core::utils::default_session_builder(config)?;
            for udf in functions::all() {
                state.register_udf(Arc::new(udf))?;
            }
            Ok(state)
        }));
    let config = SchedulerConfig {
        bind_host: bind.ip().to_string(),
        ..config
    };
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(ballista_error)?;
    start_server(cluster, bind, Arc::new(config))
        .await
        .map_err(ballista_error)
}

/// Where an executor listens and which scheduler it serves.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    /// Address of the Arrow Flight service that serves task results.
    pub bind: SocketAddr,
    /// Port of the gRPC service the scheduler pushes tasks to.
    pub grpc_port: u16,
    /// Host name or address others reach this executor by.
    pub advertise: String,
    pub scheduler: SocketAddr,
    /// Tasks run at once (default: the number of cores).
    pub concurrent_tasks: Option<usize>,
    /// Folder of shuffle files (default: a temporary folder).
    pub work_dir: Option<PathBuf>,
}

/// Runs a Ballista executor that can decode plans calling parangon's functions, until the
/// process is stopped.
pub async fn serve_executor(options: &ExecutorOptions) -> Result<()> {
    let mut registry = BallistaFunctionRegistry::default();
    for udf in functions::all() {
        registry
            .scalar_functions
            .insert(udf.name().to_string(), Arc::new(udf));
    }
    let defaults = ExecutorProcessConfig::default();
    let config = ExecutorProcessConfig {
        bind_host: options.bind.ip().to_string(),
        external_host: Some(options.advertise.clone()),
        port: options.bind.port(),
        grpc_port: options.grpc_port,
        scheduler_host: options.scheduler.ip().to_string(),
        scheduler_port: options.scheduler.port(),
        vcores: options.concurrent_tasks.unwrap_or(defaults.vcores),
        work_dir: options.work_dir.as_ref().map(|d| d.display().to_string()),
        print_thread_info: false,
        override_function_registry: Some(Arc::new(registry)),
        ..defaults
    };
    start_executor_process(Arc::new(config))
        .await
        .map_err(ballista_error)
}

fn ballista_error(e: ballista_core::error::BallistaError) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}
