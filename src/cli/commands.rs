//! The commands: each turns arguments into a library call and prints its result.

use std::fmt::Write as _;

use super::args::{
    AnnexArgs, CatalogueArgs, ClusterCommand, ContractArgs, GenerateArgs, IndicatorsAction,
    IndicatorsArgs, RunArgs, TargetsArgs, ValidateArgs,
};
use super::printer::{Printer, group};
use crate::error::Error;
use crate::generate::{self, GenerateOptions};
use crate::model::CatalogueSource;
use crate::pipelines;
use crate::run::{self, RunOptions};

/// What a command asks `main` to exit with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// The command ran and found problems in the data (exit 1).
    DataProblems,
}

/// `--pipelines DIR`, else `$PARANGON_PIPELINES`, else the catalogue built into the binary.
fn catalogue_source(args: &CatalogueArgs) -> CatalogueSource {
    pipelines::source(args.pipelines.clone())
}

pub async fn run(args: &RunArgs, printer: Printer) -> Result<Outcome, Error> {
    let options = RunOptions {
        input: args.input.clone(),
        output: args.output.clone(),
        catalogue: catalogue_source(&args.catalogue),
        years: args.years.clone(),
        select: args.select.clone(),
        annex_year: args.annex_year,
        suppression_threshold: args.suppression_threshold.map(i64::from),
        memory_limit: args.memory_limit,
        force: args.force,
        as_of: args.as_of.map(crate::calendar::from_date),
        cluster: args
            .cluster
            .as_ref()
            .map(|url| crate::compute::ClusterOptions {
                url: url.clone(),
                staging: args.cluster_staging.clone().unwrap_or_else(|| {
                    std::env::temp_dir().join(format!("parangon-staging-{}", std::process::id()))
                }),
            }),
    };
    let progress = printer.progress();
    let result = run::run(&options, &progress).await;
    if args.cluster_staging.is_none()
        && let Some(cluster) = &options.cluster
    {
        // The default staging folder is this run's own: nothing in it outlives the run.
        std::fs::remove_dir_all(&cluster.staging).ok();
    }
    let summary = result?;
    if summary.unchanged {
        let mut out = String::new();
        writeln!(
            out,
            "parangon run: nothing changed since run {} (same input files, catalogue and options)\n  outputs        {} (kept as published)\n  time           {:.2} s\n  hint: --force recomputes anyway",
            summary.run_id,
            summary.output,
            summary.seconds
        )
        .ok();
        print!("{out}");
        return Ok(Outcome::Success);
    }
    let (mut read, mut rejected) = (0, 0);
    for t in &summary.tables {
        read += t.counts.rows_read;
        rejected += t.counts.rows_rejected;
    }
    let mut out = String::new();
    writeln!(out, "parangon run {}", summary.run_id).ok();
    writeln!(
        out,
        "  rows read      {} in {} tables ({} rejected, see rejects/)",
        group(read),
        summary.tables.len(),
        group(rejected)
    )
    .ok();
    writeln!(
        out,
        "  indicators     {} definitions computed, {} values ({} masked for confidentiality, threshold {})",
        summary.definitions_computed,
        group(summary.values as u64),
        group(summary.suppressed),
        summary.suppression_threshold
    )
    .ok();
    for n in &summary.not_computed {
        writeln!(
            out,
            "  not computed   {} ({}): {}",
            n.indicator_id, n.definition, n.reason
        )
        .ok();
    }
    writeln!(
        out,
        "  outputs        {} ({} files)",
        summary.output, summary.files_written
    )
    .ok();
    writeln!(out, "  time           {:.2} s", summary.seconds).ok();
    print!("{out}");
    Ok(Outcome::Success)
}

pub async fn validate(args: &ValidateArgs, printer: Printer) -> Result<Outcome, Error> {
    let progress = printer.progress();
    let (tables, missing) = run::validate(&args.input, &progress).await?;
    let mut out = String::new();
    let mut any = false;
    for t in &tables {
        writeln!(
            out,
            "{:<14} {:>12} read {:>12} accepted {:>10} rejected",
            t.table,
            group(t.counts.rows_read),
            group(t.counts.rows_accepted),
            group(t.counts.rows_rejected)
        )
        .ok();
        for (reason, n) in t.rejects.reason_counts() {
            any = true;
            writeln!(out, "    {:>10}  {reason}", group(n)).ok();
        }
        for r in t.rejects.rows.iter().take(3) {
            writeln!(
                out,
                "      e.g. {} row {}: {}",
                r.source_file, r.row_number, r.reason
            )
            .ok();
        }
        for w in &t.warnings {
            writeln!(out, "    warning: {w}").ok();
        }
    }
    for m in missing {
        writeln!(
            out,
            "{m:<14} absent (its indicators will be reported as not computed)"
        )
        .ok();
    }
    print!("{out}");
    Ok(if any {
        Outcome::DataProblems
    } else {
        Outcome::Success
    })
}

pub async fn indicators(args: &IndicatorsArgs) -> Result<Outcome, Error> {
    let source = catalogue_source(&args.catalogue);
    let catalogue = pipelines::load(&source)?;
    if args.coverage {
        let lines = pipelines::coverage::load(&source, &catalogue)?;
        print!("{}", pipelines::coverage::markdown(&lines));
        return Ok(Outcome::Success);
    }
    match &args.action {
        None => {
            let mut out = String::new();
            writeln!(
                out,
                "{:<34} {:<10} {:<6} {:<7} {:<13} {:<18} origin",
                "id", "definition", "unit", "better", "table", "theme"
            )
            .ok();
            for i in &catalogue.indicators {
                writeln!(
                    out,
                    "{:<34} {:<10} {:<6} {:<7} {:<13} {:<18} {}",
                    i.id,
                    i.definition,
                    i.unit.as_str(),
                    i.direction.as_str(),
                    i.table,
                    catalogue.theme_of(&i.id).as_str(),
                    i.origin
                )
                .ok();
            }
            print!("{out}");
        }
        Some(IndicatorsAction::Show { id }) => {
            let definitions = catalogue.definitions_of(id);
            if definitions.is_empty() {
                return Err(crate::error::CatalogueError::UnknownIndicator {
                    id: id.clone(),
                    suggestion: catalogue.closest_id(id),
                }
                .into());
            }
            let mut out = String::new();
            let mut table_sql = String::new();
            for def in definitions {
                let (explain, sql) = crate::compute::explain(&catalogue, def).await?;
                writeln!(out, "{def}\n\nIn the query of table {} (one scan for all its indicators):\n{explain}\n", def.table).ok();
                table_sql = sql;
            }
            writeln!(out, "The whole query:\n{table_sql}").ok();
            print!("{out}");
        }
    }
    Ok(Outcome::Success)
}

pub fn annex(args: &AnnexArgs, printer: Printer) -> Result<Outcome, Error> {
    run::render_annex(&args.output, &catalogue_source(&args.catalogue), args.year)?;
    printer.note(&format!(
        "annex rendered in {}",
        args.output.join("annex").display()
    ));
    println!("{}", args.output.join("annex/annex.html").display());
    Ok(Outcome::Success)
}

pub fn targets(args: &TargetsArgs) -> Result<Outcome, Error> {
    let catalogue = pipelines::load(&catalogue_source(&args.catalogue))?;
    let mut out = String::new();
    writeln!(
        out,
        "{:<9} {:<32} {:<10} {:<13} {:<5} {:<13} {:<28}  source",
        "organism", "indicator", "definition", "breakdown", "year", "kind", "target"
    )
    .ok();
    for t in catalogue.targets.iter().filter(|t| {
        args.organism
            .as_ref()
            .is_none_or(|o| o.eq_ignore_ascii_case(&t.organism))
    }) {
        let conditions: Vec<String> = t.conditions().iter().map(|c| c.to_string()).collect();
        let inferred = t.conditions().iter().any(|c| !c.op_printed);
        writeln!(
            out,
            "{:<9} {:<32} {:<10} {:<13} {:<5} {:<13} {:<28}  {}{}",
            t.organism,
            t.indicator,
            t.definition,
            t.dimension_value.as_deref().unwrap_or("-"),
            t.year,
            t.kind().as_str(),
            if conditions.is_empty() {
                format!("« {} »", t.text)
            } else {
                conditions.join(" and ")
            },
            t.source,
            if inferred { " (operator inferred)" } else { "" }
        )
        .ok();
    }
    print!("{out}");
    Ok(Outcome::Success)
}

pub fn contract(args: &ContractArgs) -> Result<Outcome, Error> {
    use crate::contract;
    match &args.table {
        None => print!("{}", contract::doc::markdown()),
        Some(name) => {
            let Some(table) = contract::table(name) else {
                let names: Vec<&str> = contract::TABLES.iter().map(|t| t.name).collect();
                return Err(Error::Usage(format!(
                    "unknown table '{name}'\n  hint: the contract's tables are {}",
                    names.join(", ")
                )));
            };
            print!("{}", contract::doc::table_markdown(table));
        }
    }
    Ok(Outcome::Success)
}

pub fn generate(args: &GenerateArgs, printer: Printer) -> Result<Outcome, Error> {
    if args.caisses < 5 {
        return Err(Error::Usage(
            "--caisses must be at least 5 (three single-caisse organisms, a CPAM and a Carsat)"
                .into(),
        ));
    }
    let options = GenerateOptions {
        caisses: args.caisses,
        years: args.years.clone(),
        rows_per_caisse: args.rows_per_caisse,
        seed: args.seed,
        invalid_rate: args.invalid_rate,
    };
    let report = generate::generate(&args.output, &options).map_err(|source| Error::Io {
        context: format!("writing the dataset to {}", args.output.display()),
        source,
    })?;
    printer.note(&format!(
        "wrote {} files to {}",
        report.files.len(),
        args.output.display()
    ));
    let mut out = String::new();
    for (table, rows) in &report.rows {
        writeln!(
            out,
            "{table:<14} {:>12} rows ({} invalid on purpose)",
            group(*rows),
            report.invalid_rows(table)
        )
        .ok();
    }
    print!("{out}");
    Ok(Outcome::Success)
}

/// `parangon cluster scheduler|executor`: serves until the process is stopped.
#[cfg(feature = "cluster")]
pub async fn cluster(command: &ClusterCommand, printer: Printer) -> Result<Outcome, Error> {
    use crate::compute::cluster::{self, ExecutorOptions};
    let (role, result) = match command {
        ClusterCommand::Scheduler { bind } => {
            printer.note(&format!(
                "parangon cluster scheduler listening on {bind} (runs use --cluster df://{bind})"
            ));
            ("scheduler", cluster::serve_scheduler(*bind).await)
        }
        ClusterCommand::Executor {
            bind,
            grpc_port,
            scheduler,
            advertise,
            concurrent_tasks,
            work_dir,
        } => {
            printer.note(&format!(
                "parangon cluster executor on {bind} (gRPC port {grpc_port}), serving the scheduler at {scheduler}"
            ));
            let options = ExecutorOptions {
                bind: *bind,
                grpc_port: *grpc_port,
                advertise: advertise.clone().unwrap_or_else(|| bind.ip().to_string()),
                scheduler: *scheduler,
                concurrent_tasks: *concurrent_tasks,
                work_dir: work_dir.clone(),
            };
            ("executor", cluster::serve_executor(&options).await)
        }
    };
    result.map_err(|e| Error::ClusterService {
        role,
        message: e.to_string(),
    })?;
    Ok(Outcome::Success)
}

/// Without the `cluster` feature the subcommand exists but says how to get it.
#[cfg(not(feature = "cluster"))]
pub async fn cluster(_command: &ClusterCommand, _printer: Printer) -> Result<Outcome, Error> {
    Err(Error::Compute(crate::error::ComputeError::ClusterNotBuilt))
}
