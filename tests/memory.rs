//! Bounded memory (issue #7): under a small `memory_limit` the cube aggregations spill to disk
//! and give exactly the values of an unbounded run; the duplicate-id check, which cannot spill,
//! is accounted in the same pool and fails with a clear error rather than being OOM-killed.

use std::process::Command;

use parangon::catalogue::Catalogue;
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
    let catalogue = Catalogue::load(&pipelines).unwrap();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_duplicate_check_beyond_the_limit_is_a_clear_error() {
    let data = generated("40000");
    let err = compute(data.path(), Some(1 << 20)).await.unwrap_err();
    assert!(
        err.contains("duplicate-id check") && err.contains("--memory-limit"),
        "{err}"
    );
}
