//! Bounded memory (issue #7): under a small `memory_limit` the cube aggregations spill to disk
//! and give exactly the values of an unbounded run; the duplicate-id check of a table beyond
//! its budget (a quarter of the limit, at most 128 MiB) partitions its keys to disk and gives
//! exactly the rejects, counts and values of the in-memory check; a limit too small for the
//! cube itself is a clear error rather than the OOM killer.

use std::process::Command;

use parangon::compute::{self, ComputeOptions, ComputeOutput};
use parangon::contract;
use parangon::ingest::Input;

fn generated(rows_per_caisse: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_parangon"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["generate", "-q", "--output", dir.path().to_str().unwrap()])
        .args(["--caisses", "8", "--years", "2023,2024", "--seed", "11"])
        .args(["--rows-per-caisse", rows_per_caisse])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    dir
}

async fn compute(
    dir: &std::path::Path,
    memory_limit: Option<usize>,
) -> Result<ComputeOutput, String> {
    let pipelines = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines");
    let catalogue =
        parangon::pipelines::load(&parangon::model::CatalogueSource::Folder(pipelines)).unwrap();
    let tables: Vec<_> = contract::TABLES.to_vec();
    let input = Input::open(dir.to_str().unwrap(), &tables).await.unwrap();
    let options = ComputeOptions {
        memory_limit,
        target_partitions: Some(2),
        ..ComputeOptions::default()
    };
    compute::compute(&input, &catalogue, &options, &compute::Silent)
        .await
        .map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_memory_limit_spills_and_gives_the_same_values() {
    let data = generated("4000");
    let free = compute(data.path(), None).await.unwrap();
    let bounded = compute(data.path(), Some(LIMIT)).await.unwrap();
    let claims = |out: &ComputeOutput| {
        out.tables
            .iter()
            .find(|t| t.table == "claims")
            .map(|t| (t.spill_files, t.spilled_bytes))
            .unwrap()
    };
    assert_eq!(claims(&free), (0, 0), "no spill without a limit");
    let (files, bytes) = claims(&bounded);
    assert!(
        files > 0 && bytes > 0,
        "the claims cube spilled: {files} files, {bytes} bytes"
    );
    assert_eq!(free.values.len(), bounded.values.len());
    assert!(free.values == bounded.values, "same values, bit for bit");
}

/// Small enough that the claims cube (every payment day × delay × caisse) cannot stay in memory.
const LIMIT: usize = 6 << 20;

fn table<'a>(out: &'a ComputeOutput, name: &str) -> &'a compute::TableRun {
    out.tables.iter().find(|t| t.table == name).unwrap()
}

/// 16 MiB: a duplicate budget of 4 MiB, below the in-memory sets of claims (280 000 rows,
/// 5.5 MB) and calls (320 000 rows) at 20 000 rows per caisse, above those of the smaller
/// tables; and room enough for the cubes.
const DEFERRING_LIMIT: usize = 16 << 20;
const DEFERRED_ROWS: &str = "20000";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_duplicate_check_beyond_its_budget_spills_and_finds_the_same_duplicates() {
    let data = generated(DEFERRED_ROWS); // with the generator's invalid rows: duplicate ids among them
    let free = compute(data.path(), None).await.unwrap();
    let bounded = compute(data.path(), Some(DEFERRING_LIMIT)).await.unwrap();
    for name in ["claims", "calls"] {
        let (f, b) = (table(&free, name), table(&bounded, name));
        assert!(b.spill_files > 0 && b.spilled_bytes > 0, "{name} spilled");
        let duplicates = |t: &compute::TableRun| {
            t.rejects
                .rows
                .iter()
                .filter(|r| r.reason.starts_with("duplicate"))
                .count()
        };
        assert!(
            duplicates(f) > 0,
            "{name}: the generator injected duplicates"
        );
        assert_eq!(duplicates(f), duplicates(b), "{name}");
        assert_eq!(f.counts, b.counts, "{name}");
        assert!(
            f.rejects.rows == b.rejects.rows,
            "{name}: same rejects, same order"
        );
    }
    assert!(free.values == bounded.values, "same values, bit for bit");
}

/// A file delivered twice: every row of the copy (later in path order) is a duplicate, and
/// the values are those of the data without the copy — whether the check ran in memory or
/// on disk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_delivered_twice_changes_nothing_but_the_rejects() {
    let data = generated(DEFERRED_ROWS);
    let original = compute(data.path(), None).await.unwrap();
    let part = data.path().join("claims/year=2023/part-0.parquet");
    let copy = data.path().join("claims/year=2023/part-1-again.parquet");
    std::fs::copy(&part, &copy).unwrap();
    let copied_rows = {
        let file = std::fs::File::open(&copy).unwrap();
        let reader = datafusion::parquet::file::reader::SerializedFileReader::new(file).unwrap();
        use datafusion::parquet::file::reader::FileReader;
        reader.metadata().file_metadata().num_rows() as u64
    };
    for limit in [None, Some(DEFERRING_LIMIT)] {
        let twice = compute(data.path(), limit).await.unwrap();
        let (before, after) = (table(&original, "claims"), table(&twice, "claims"));
        assert_eq!(
            after.spill_files > 0,
            limit.is_some(),
            "the check spilled: {limit:?}"
        );
        assert_eq!(
            after.counts.rows_read,
            before.counts.rows_read + copied_rows
        );
        assert_eq!(
            after.counts.rows_accepted, before.counts.rows_accepted,
            "{limit:?}"
        );
        let in_copy: Vec<_> = after
            .rejects
            .rows
            .iter()
            .filter(|r| r.source_file.ends_with("part-1-again.parquet"))
            .collect();
        // Rows of the copy that break another rule keep that reason; the others are duplicates.
        let invalid_in_original = before
            .rejects
            .rows
            .iter()
            .filter(|r| r.source_file.ends_with("year=2023/part-0.parquet"))
            .filter(|r| !r.reason.starts_with("duplicate"))
            .count();
        assert_eq!(in_copy.len() as u64, copied_rows, "{limit:?}");
        assert_eq!(
            in_copy
                .iter()
                .filter(|r| r.reason.starts_with("duplicate claim_id"))
                .count(),
            copied_rows as usize - invalid_in_original,
            "{limit:?}"
        );
        assert!(
            in_copy
                .windows(2)
                .all(|w| w[0].row_number < w[1].row_number),
            "rejects in row order"
        );
        assert!(original.values == twice.values, "{limit:?}: same values");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limit_too_small_for_the_cube_is_a_clear_error() {
    let data = generated("40000");
    let err = compute(data.path(), Some(1 << 20)).await.unwrap_err();
    assert!(err.contains("--memory-limit"), "{err}");
}
