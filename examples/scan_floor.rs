//! The *scan floor* of issue #7: DataFusion reading, from every table folder of an input, just
//! the columns the catalogue needs, and doing nothing else — the time no pipeline on this engine
//! can beat. `scripts/bench.sh` runs it beside `parangon run` and DuckDB.
//!
//! ```sh
//! cargo run --release --example scan_floor -- bench-data/r50000 [TABLE ...]
//! ```
//!
//! The columns are the contract's (parangon checks every contract column of every row, so it
//! reads them all); the tables are those of the catalogue (`pipelines/`), or those named.

// An example prints its figures.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::time::Instant;

use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use futures::StreamExt;
use parangon::contract;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let input = args
        .next()
        .ok_or("usage: scan_floor INPUT_DIR [TABLE ...]")?;
    let mut tables: Vec<String> = args.collect();
    if tables.is_empty() {
        let catalogue = parangon::pipelines::load(&parangon::model::CatalogueSource::Embedded)?;
        tables = catalogue.tables().iter().map(|t| t.to_string()).collect();
    }
    let ctx = SessionContext::new_with_config(SessionConfig::new());
    let started = Instant::now();
    let mut total = 0usize;
    for name in &tables {
        let spec = contract::table(name).ok_or_else(|| format!("unknown table {name}"))?;
        let folder = format!("{input}/{name}/");
        if !std::path::Path::new(&folder).is_dir() {
            continue;
        }
        let columns: Vec<&str> = spec.columns.iter().map(|c| c.name).collect();
        // Hive folders (year=2024/) are read as plain files: no partition column is added.
        let frame = ctx
            .read_parquet(folder, ParquetReadOptions::default())
            .await?
            .select_columns(&columns)?;
        let mut rows = 0usize;
        let mut streams = frame.execute_stream_partitioned().await?;
        // Drain every partition concurrently, as the engine would feed an aggregation.
        let counts = futures::future::join_all(streams.drain(..).map(|mut s| async move {
            let mut n = 0usize;
            while let Some(batch) = s.next().await {
                n += batch.map(|b| b.num_rows()).unwrap_or(0);
            }
            n
        }))
        .await;
        rows += counts.iter().sum::<usize>();
        total += rows;
        println!("{name:<14} {rows:>12} rows");
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "scan floor: {total} rows in {seconds:.2} s ({:.0} rows/s)",
        total as f64 / seconds
    );
    Ok(())
}
