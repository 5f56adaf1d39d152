//! Differential test (issue #6): the bench indicators of the catalogue recomputed by an
//! independent implementation — polars' lazy API in Python (`tests/it/differential/
//! reference_polars.py`, written from indicators.md, not from the SQL in pipelines/) — on a
//! generated dataset of about 600 000 rows with unpaid claims, open complaints, holidays, month
//! ends, spam and welcome hang-ups, and compared with parangon's `indicator_values` at every
//! level (caisse, organism, national), grain (month, year) and breakdown: same cells, same
//! n_records, values equal to 1e-9.
//!
//! What is compared follows from the catalogue (issue #16): the bench ids of
//! `parangon::pipelines::load` are passed to the script, and every one the reference
//! implements is compared. A bench id the reference cannot express (an indicator added in TOML
//! only) is listed in the report ("not in the polars reference: …"), not an error; an id of the
//! reference that the catalogue does not have is an error (a stale reference).
//!
//! polars is a Python dev-dependency (`pip install polars`, a prebuilt wheel) rather than the
//! Rust crate, which would add a quarter of an hour to every cold build; another language makes
//! the second implementation only more independent. Without polars the test is skipped, except
//! under CI (`CI` set), where `.ci/run` installs it and a skip would hide a regression.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use parangon::model::BENCH;

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
    let pipelines = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines");
    let catalogue =
        parangon::pipelines::load(&parangon::model::CatalogueSource::Folder(pipelines)).unwrap();
    let bench: BTreeSet<String> = catalogue
        .indicators
        .iter()
        .filter(|i| i.definition == BENCH)
        .map(|i| i.id.clone())
        .collect();
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
    let ids = bench.iter().cloned().collect::<Vec<_>>().join(",");
    let result = Command::new("python3")
        .arg(script)
        .arg(&data)
        .arg(&out)
        .arg(&ids)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&result.stdout);
    // The report names what was left out; shown with `--nocapture`.
    println!("{report}");
    let line = |prefix: &str| -> String {
        report
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no `{prefix}` line in the report:\n{report}"))
            .trim()
            .to_string()
    };
    let implemented: BTreeSet<String> = line("polars reference implements:")
        .split(", ")
        .map(str::to_string)
        .collect();
    let stale: Vec<&String> = implemented.difference(&bench).collect();
    assert!(
        stale.is_empty(),
        "the polars reference implements ids the catalogue does not have (stale reference): \
         {stale:?}\n{report}"
    );
    assert!(
        result.status.success(),
        "parangon and polars disagree:\n{report}\n{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert!(
        report.contains(" 0 only in parangon, 0 only in polars, 0 different"),
        "{report}"
    );
    // Every bench id both have was compared, each on at least one value; the others are listed.
    let common: BTreeSet<&String> = bench.intersection(&implemented).collect();
    assert!(!common.is_empty(), "{report}");
    let per_indicator = line("per indicator:");
    for id in &common {
        assert!(
            per_indicator.contains(&format!("'{id}': ")),
            "{id} was not compared: {per_indicator}"
        );
    }
    assert_eq!(
        per_indicator.matches("': ").count(),
        common.len(),
        "{per_indicator}"
    );
    let left_out: Vec<&String> = bench.difference(&implemented).collect();
    let listed = line("not in the polars reference:");
    if left_out.is_empty() {
        assert_eq!(listed, "none");
    } else {
        for id in left_out {
            assert!(
                listed.split(", ").any(|l| l == id),
                "{id} not listed: {listed}"
            );
        }
    }
}
