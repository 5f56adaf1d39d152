//! The *write floor* of `parangon generate` (issue #7): the time the Parquet writer alone takes
//! to encode a generated dataset with the generator's settings — what any generator of these
//! files pays, before drawing a single value. `docs/performance.md` compares it with
//! `parangon generate` and `parangon run` on the same files.
//!
//! ```sh
//! cargo run --release --no-default-features --example write_floor -- bench-data/r2777778
//! ```
//!
//! Every file is read back into memory (not timed), then written again to a sink (timed), on
//! as many threads as the generator uses, in batches of the generator's size.

// An example prints its figures.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parangon::{contract, generate};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let input = std::env::args()
        .nth(1)
        .ok_or("usage: write_floor GENERATED_DIR")?;
    let mut files = Vec::new();
    collect(Path::new(&input), &mut files)?;
    files.sort();
    let queue = Mutex::new(files.into_iter());
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let started = Instant::now();
    let busy: Vec<Result<(Duration, u64), String>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let (mut writing, mut rows) = (Duration::ZERO, 0u64);
                    loop {
                        let next = queue.lock().expect("queue").next();
                        let Some(path) = next else {
                            return Ok((writing, rows));
                        };
                        let (took, n) =
                            rewrite(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                        writing += took;
                        rows += n;
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("worker"))
            .collect()
    });
    let mut longest = Duration::ZERO;
    let (mut total, mut rows) = (Duration::ZERO, 0u64);
    for b in busy {
        let (took, n) = b?;
        longest = longest.max(took);
        total += took;
        rows += n;
    }
    println!(
        "write floor: {rows} rows, {:.2} s of writing on {threads} threads (the busiest thread), \
         {:.2} s in all; {:.2} s wall including the reads",
        longest.as_secs_f64(),
        total.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Parquet files under `dir`, recursively.
fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "parquet") {
            out.push(path);
        }
    }
    Ok(())
}

/// Reads `path` into memory, then times writing it with the generator's settings.
fn rewrite(path: &Path) -> Result<(Duration, u64), Box<dyn std::error::Error>> {
    // The table is the folder above `year=YYYY/`.
    let table = path
        .parent()
        .and_then(Path::parent)
        .and_then(Path::file_name)
        .and_then(|n| n.to_str())
        .ok_or("not under TABLE/year=YYYY/")?;
    let spec = contract::table(table).ok_or_else(|| format!("unknown table {table}"))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path)?)?
        .with_batch_size(generate::ROW_GROUP_ROWS)
        .build()?;
    let batches = reader.collect::<Result<Vec<_>, _>>()?;
    let Some(first) = batches.first() else {
        return Ok((Duration::ZERO, 0));
    };
    let started = Instant::now();
    let mut writer = ArrowWriter::try_new(
        std::io::sink(),
        first.schema(),
        Some(generate::writer_properties(spec)),
    )?;
    let mut rows = 0;
    for batch in &batches {
        writer.write(batch)?;
        rows += batch.num_rows() as u64;
    }
    writer.close()?;
    Ok((started.elapsed(), rows))
}
