//! Differential test (issue #6): every bench indicator of the catalogue recomputed by an
//! independent implementation — polars' lazy API in Python (`tests/it/differential/
//! reference_polars.py`, written from indicators.md, not from the SQL in pipelines/) — on a
//! generated dataset of about 600 000 rows with unpaid claims, open complaints, holidays, month
//! ends, spam and welcome hang-ups, and compared with parangon's `indicator_values` at every
//! level (caisse, organism, national), grain (month, year) and breakdown: same cells, same
//! n_records, values equal to 1e-9.
//!
//! polars is a Python dev-dependency (`pip install polars`, a prebuilt wheel) rather than the
//! Rust crate, which would add a quarter of an hour to every cold build; another language makes
//! the second implementation only more independent. Without polars the test is skipped, except
//! under CI (`CI` set), where `.ci/run` installs it and a skip would hide a regression.

use std::path::Path;
use std::process::Command;

fn parangon(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_parangon"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "parangon {args:?}: {out:?}");
}

#[test]
fn polars_recomputes_every_bench_value_identically() {
    let has_polars = Command::new("python3")
        .args(["-c", "import polars"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_polars {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the differential test: pip install polars"
        );
        eprintln!("skipped: python3 with polars not found (pip install polars)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = tmp.path().join("out");
    let s = |p: &Path| p.to_str().unwrap().to_string();
    parangon(&[
        "generate",
        "-q",
        "--output",
        &s(&data),
        "--caisses",
        "12",
        "--years",
        "2023,2024",
        "--rows-per-caisse",
        "6000",
        "--seed",
        "5",
        "--invalid-rate",
        "0",
    ]);
    // Every value, masked or not: the comparison is on the exact values.
    parangon(&[
        "run",
        "-q",
        "--input",
        &s(&data),
        "--output",
        &s(&out),
        "--suppression-threshold",
        "0",
    ]);
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/differential/reference_polars.py");
    let result = Command::new("python3")
        .arg(script)
        .args([&data, &out])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&result.stdout);
    assert!(
        result.status.success(),
        "parangon and polars disagree:\n{report}\n{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert!(
        report.contains(" 0 only in parangon, 0 only in polars, 0 different"),
        "{report}"
    );
    // All 29 bench indicators were compared.
    let per_indicator = report
        .lines()
        .find(|l| l.starts_with("per indicator:"))
        .unwrap();
    assert_eq!(per_indicator.matches("': ").count(), 29, "{per_indicator}");
}
