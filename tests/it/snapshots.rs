//! Snapshots of what a user reads (insta): the catalogue listing, one definition and its SQL,
//! `validate` on a bad input, the main error messages and their hints, the compiled cube query
//! of every table, and the shape of the manifest. A change to any of them shows up as a diff in
//! review (`cargo insta review`, or `INSTA_UPDATE=always cargo test` then `git diff`).
//! Run ids, times, temporary paths and machine-dependent numbers are redacted.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::{catalogue, ok};
use parangon::contract;

fn parangon(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_parangon"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        // The embedded catalogue, whatever the environment of the test run.
        .env_remove("PARANGON_PIPELINES")
        .output()
        .expect("the binary runs")
}

/// stderr of a failed command, with `dir` replaced by `[DIR]`.
fn failure(out: &Output, dir: &Path) -> String {
    assert!(!out.status.success(), "{out:?}");
    format!(
        "exit {}\n{}",
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).replace(dir.to_str().unwrap(), "[DIR]")
    )
}

#[test]
fn indicators_listing() {
    insta::assert_snapshot!(ok(&parangon(&["indicators"])));
}

#[test]
fn indicators_show() {
    insta::assert_snapshot!(ok(&parangon(&[
        "indicators",
        "show",
        "claims_fse_delay_p90"
    ])));
}

#[test]
fn contract_of_one_table() {
    insta::assert_snapshot!(ok(&parangon(&["contract", "reclamations"])));
}

/// `docs/contract.md` is the output of `parangon contract`.
#[test]
fn docs_contract_md_is_the_commands_output() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/contract.md");
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == ok(&parangon(&["contract"])),
        "docs/contract.md is stale: run `cargo run -- contract > docs/contract.md`"
    );
}

/// Every table's one query, as compiled from the embedded catalogue.
#[test]
fn cube_query_of_every_table() {
    let catalogue = catalogue();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for table in contract::TABLES {
        let Some(first) = catalogue.indicators.iter().find(|i| i.table == table.name) else {
            continue;
        };
        let (_, sql) = runtime
            .block_on(parangon::compute::explain(&catalogue, first))
            .unwrap();
        insta::assert_snapshot!(format!("cube_query_{}", table.name), sql);
    }
}

#[test]
fn validate_on_a_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    ok(&parangon(&[
        "generate",
        "-q",
        "--output",
        data.to_str().unwrap(),
        "--caisses",
        "5",
        "--years",
        "2024",
        "--rows-per-caisse",
        "40",
        "--seed",
        "3",
    ]));
    let out = parangon(&["validate", "-q", "--input", data.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "rows would be rejected: exit 1");
    insta::assert_snapshot!(
        String::from_utf8_lossy(&out.stdout).replace(data.to_str().unwrap(), "[DIR]")
    );
}

/// The errors a newcomer meets first, each with its hint.
#[test]
fn main_errors_and_their_hints() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = dir.join("out");
    let out = out.to_str().unwrap();
    let mut report = String::new();
    let mut case = |title: &str, output: Output| {
        report.push_str(&format!("## {title}\n{}\n", failure(&output, dir)));
    };
    case(
        "an unknown indicator",
        parangon(&["indicators", "show", "claims_fse_delay_p9"]),
    );
    case(
        "an input folder that does not exist",
        parangon(&[
            "run",
            "--input",
            &format!("{}/nowhere", dir.display()),
            "--output",
            out,
        ]),
    );
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    case(
        "an input without the caisse reference",
        parangon(&["run", "--input", empty.to_str().unwrap(), "--output", out]),
    );
    case(
        "a catalogue folder without definitions",
        parangon(&[
            "run",
            "--pipelines",
            empty.to_str().unwrap(),
            "--output",
            out,
        ]),
    );
    case(
        "a table the contract does not have",
        parangon(&["contract", "claimz"]),
    );
    // A claims file without its `kind` column, and a calls file whose `outcome` is a number.
    let fixture = crate::common::Fixture::new(&[("C1", "CNAM", false)]);
    fixture.table(
        "claims",
        "part-0.parquet",
        vec![
            ("claim_id", crate::common::ids("c", 1)),
            ("caisse_id", crate::common::same_text("C1", 1)),
            ("received_date", crate::common::dates(&[Some("2024-03-01")])),
            ("amount", crate::common::floats(&[Some(1.0)])),
        ],
    );
    let input = fixture.path().to_str().unwrap().to_string();
    let missing = parangon(&["run", "--input", &input, "--output", out]);
    let text = failure(&missing, dir).replace(&input, "[INPUT]");
    report.push_str(&format!("## a missing column\n{text}\n"));
    insta::assert_snapshot!(report);
}

/// The manifest's shape on the bundled sample: every key, with the values that depend on the
/// time, the machine or the temporary folder redacted.
#[test]
fn manifest_shape() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    ok(&parangon(&["run", "-q", "--output", out.to_str().unwrap()]));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    insta::assert_json_snapshot!(manifest, {
        ".run_id" => "[run_id]",
        ".started_at" => "[time]",
        ".finished_at" => "[time]",
        ".fingerprint" => "[fingerprint: file times]",
        ".arguments.output" => "[output]",
        ".arguments.memory_limit_bytes" => "[half the machine's memory]",
        ".inputs.tables[].seconds" => "[seconds]",
        ".stages.*" => "[seconds]",
    });
}
