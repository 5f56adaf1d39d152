//! Arguments of the `parangon` command.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// parangon — benchmarking of social-security organisms on their COG indicators.
#[derive(Debug, Parser)]
#[command(name = "parangon", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Only errors on stderr (no progress).
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// More detail on stderr (-v: info, -vv: debug, including the SQL that runs).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read the extracts, compute every indicator, publish the tables.
    Run(RunArgs),
    /// Check the extracts against the contract without computing (exit 1 if rows would be rejected).
    Validate(ValidateArgs),
    /// List the indicator catalogue, or show one indicator's definition and SQL.
    Indicators(IndicatorsArgs),
    /// Render the benchmark and annex tables again from an existing output, without recomputing.
    Annex(AnnexArgs),
    /// List the COG targets loaded from pipelines/targets/, with their sources.
    Targets(TargetsArgs),
    /// Print the input data contract (every table, or one): columns, types, codes, row rules.
    Contract(ContractArgs),
    /// Write a synthetic, contract-conformant dataset.
    Generate(GenerateArgs),
    /// Serve a Ballista scheduler or executor that knows parangon's SQL functions.
    #[command(subcommand)]
    Cluster(ClusterCommand),
}

#[derive(Debug, Args)]
pub struct ContractArgs {
    /// One table (claims, pensions, calls, …); without it, the whole contract.
    pub table: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// A scheduler: `parangon run --cluster df://HOST:PORT` submits its queries here.
    Scheduler {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:50050")]
        bind: std::net::SocketAddr,
    },
    /// An executor: runs the scheduler's tasks (start one or more per machine).
    Executor {
        /// Address of its Arrow Flight service (task results); other machines must reach it.
        #[arg(long, default_value = "127.0.0.1:50051")]
        bind: std::net::SocketAddr,
        /// Port of its gRPC service (the scheduler pushes tasks to it).
        #[arg(long, default_value_t = 50052)]
        grpc_port: u16,
        /// Host name or address the scheduler and the other machines reach this executor by
        /// (default: the --bind address; set it when binding 0.0.0.0).
        #[arg(long, value_name = "HOST")]
        advertise: Option<String>,
        /// The scheduler's address.
        #[arg(long, default_value = "127.0.0.1:50050")]
        scheduler: std::net::SocketAddr,
        /// Tasks run at once (default: the number of cores).
        #[arg(long)]
        concurrent_tasks: Option<usize>,
        /// Folder of its shuffle files (default: a temporary folder).
        #[arg(long)]
        work_dir: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct TargetsArgs {
    /// Only this organism's targets (e.g. CAVIMAC).
    #[arg(long)]
    pub organism: Option<String>,
    #[command(flatten)]
    pub catalogue: CatalogueArgs,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Input root holding reference/ and the table folders: a folder, file://… or
    /// s3://bucket/prefix (AWS_* environment variables; docs/scaling.md).
    #[arg(long, default_value = "sample-data")]
    pub input: String,
    /// Output: a folder (replaced atomically at the end of the run), file://… or
    /// s3://bucket/prefix (a new version, then the CURRENT pointer switched; docs/scaling.md).
    #[arg(long, default_value = "out")]
    pub output: String,
    /// Years to publish, comma-separated (default: every year found).
    #[arg(long, value_delimiter = ',')]
    pub years: Vec<i32>,
    /// Indicator ids to compute, comma-separated (default: the whole catalogue).
    #[arg(long, value_delimiter = ',')]
    pub select: Vec<String>,
    /// Year N of the annex tables (default: the latest year with values).
    #[arg(long)]
    pub annex_year: Option<i32>,
    /// Statistical confidentiality: values on fewer records are masked in the published
    /// tables (default 11; tables whose pipeline file sets `suppression_threshold` keep theirs;
    /// 0 masks nothing).
    #[arg(long, value_name = "RECORDS")]
    pub suppression_threshold: Option<u32>,
    /// Memory the engine may use: 512M, 4G, 1.5G or bytes (default: half the machine's memory).
    /// Large aggregations spill to the temporary folder beyond it.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub memory_limit: Option<usize>,
    /// Recompute and publish even if the inputs, catalogue and options are those of the
    /// published run (by default such a rerun does nothing and says so).
    #[arg(long)]
    pub force: bool,
    /// Run the queries on a Ballista cluster: df://HOST:PORT of a `parangon cluster scheduler`
    /// (docs/scaling.md). Validation stays here; results are identical to a local run.
    #[arg(long, value_name = "URL")]
    pub cluster: Option<String>,
    /// Folder where each table's accepted rows are staged for the cluster's executors; the
    /// scheduler and executors must read it at the same path [default: the temporary folder].
    #[arg(long, value_name = "DIR", requires = "cluster")]
    pub cluster_staging: Option<PathBuf>,
    #[command(flatten)]
    pub catalogue: CatalogueArgs,
    /// The as-of date of every caisse, YYYY-MM-DD: the extracts hold every event up to that
    /// day. Overrides the reference's extract_date and the dates derived from the data;
    /// decides pending records and provisional periods (docs/date-rules.md).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub as_of: Option<chrono::NaiveDate>,
}

/// `YYYY-MM-DD`.
fn parse_date(text: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("'{text}' is not a date YYYY-MM-DD"))
}

#[derive(Debug, Args)]
pub struct AnnexArgs {
    /// An existing output folder of `parangon run`.
    #[arg(long, default_value = "out")]
    pub output: PathBuf,
    /// Year N (default: the latest year with values).
    #[arg(long)]
    pub year: Option<i32>,
    #[command(flatten)]
    pub catalogue: CatalogueArgs,
}

#[derive(Debug, Args)]
pub struct CatalogueArgs {
    /// Folder of indicator definitions (like the repository's pipelines/) [default: $PARANGON_PIPELINES, else the catalogue built into parangon].
    #[arg(long)]
    pub pipelines: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Input root: a folder or file:// URL.
    #[arg(long, default_value = "sample-data")]
    pub input: String,
}

#[derive(Debug, Args)]
pub struct IndicatorsArgs {
    #[command(subcommand)]
    pub action: Option<IndicatorsAction>,
    /// For each COG indicator of each organism: computed (bench or variant), or why not (Markdown).
    #[arg(long)]
    pub coverage: bool,
    #[command(flatten)]
    pub catalogue: CatalogueArgs,
}

#[derive(Debug, Subcommand)]
pub enum IndicatorsAction {
    /// Print one indicator's definitions and the SQL that computes them.
    Show {
        /// Indicator id, e.g. claims_fse_delay_p90.
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Folder to write the dataset to.
    #[arg(long)]
    pub output: PathBuf,
    /// Number of caisses (at least 5).
    #[arg(long, default_value_t = 12)]
    pub caisses: usize,
    /// Years, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "2023,2024")]
    pub years: Vec<i32>,
    /// Claims per caisse and year (other tables are proportional).
    #[arg(long, default_value_t = 2000)]
    pub rows_per_caisse: usize,
    /// Random seed: the same seed writes the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Share of rows made invalid on purpose (0 for none).
    #[arg(long, default_value_t = 0.002)]
    pub invalid_rate: f64,
}

/// `512M`, `4G`, `1.5G`, `64K` or a number of bytes (binary units: 1K = 1024).
pub fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let (number, unit) = match t.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => (&t[..i], t[i..].to_ascii_uppercase()),
        None => (t, String::new()),
    };
    let factor: f64 = match unit.trim_end_matches("IB").trim_end_matches('B') {
        "" => 1.0,
        "K" => 1024.0,
        "M" => 1024.0 * 1024.0,
        "G" => 1024.0 * 1024.0 * 1024.0,
        "T" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return Err(format!("unknown unit in '{text}': use K, M, G or T")),
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a size such as 512M or 4G"))?;
    let bytes = value * factor;
    if !(bytes.is_finite() && bytes >= 1024.0 * 1024.0) {
        return Err(format!("'{text}': the memory limit must be at least 1M"));
    }
    Ok(bytes as usize)
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("4G"), Ok(4 << 30));
        assert_eq!(parse_size("1.5g"), Ok(3 << 29));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert!(parse_size("12X").is_err());
        assert!(parse_size("10K").is_err(), "below 1M");
        assert!(parse_size("abc").is_err());
    }
}
