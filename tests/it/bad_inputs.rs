//! The bad-input corpus of issue #6, generated here (nothing large is committed): each broken
//! extract gives either a clear error naming the file and what to do (exit 1), or its rows in
//! `rejects` with the reason (exit 0) — never a panic, never a silent drop. Each case runs the
//! real binary. docs/reliability.md lists the cases and what happens.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::*;

fn parangon(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_parangon"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

/// A small valid dataset of every table, written by `parangon generate`.
fn generated() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = parangon(&[
        "generate",
        "-q",
        "--output",
        dir.path().to_str().unwrap(),
        "--caisses",
        "5",
        "--years",
        "2024",
        "--rows-per-caisse",
        "60",
        "--seed",
        "3",
        "--invalid-rate",
        "0",
    ]);
    assert!(out.status.success(), "{out:?}");
    dir
}

/// Runs the pipeline on `input`; returns exit code, stderr, and the output folder.
fn run(input: &Path) -> (Option<i32>, String, tempfile::TempDir) {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("out");
    let result = parangon(&[
        "run",
        "-q",
        "--input",
        input.to_str().unwrap(),
        "--output",
        target.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&result.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "a panic: {stderr}");
    (result.status.code(), stderr, out)
}

/// Exit 1 with a message naming `file` and a hint, and nothing published.
fn assert_data_error(input: &Path, file: &str, what: &str) {
    let (code, stderr, out) = run(input);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains(file), "names the file {file}: {stderr}");
    assert!(stderr.contains(what), "says '{what}': {stderr}");
    assert!(stderr.contains("hint:"), "says what to do: {stderr}");
    assert!(!out.path().join("out").exists(), "nothing published");
}

const CLAIMS: &str = "claims/year=2024/part-0.parquet";

fn claims_bytes(dir: &Path) -> Vec<u8> {
    std::fs::read(dir.join(CLAIMS)).unwrap()
}

#[test]
fn a_truncated_file_is_named() {
    let data = generated();
    let bytes = claims_bytes(data.path());
    // Cut in the middle of the data, then just before the end (the footer is lost either way).
    for keep in [bytes.len() / 2, bytes.len() - 100] {
        std::fs::write(data.path().join(CLAIMS), &bytes[..keep]).unwrap();
        assert_data_error(data.path(), CLAIMS, "not a readable Parquet file");
    }
}

#[test]
fn a_file_altered_inside_its_data_is_named() {
    let data = generated();
    let mut bytes = claims_bytes(data.path());
    // The footer is intact, a data page is not (bytes 200..400 zeroed).
    bytes[200..400].fill(0);
    std::fs::write(data.path().join(CLAIMS), &bytes).unwrap();
    assert_data_error(data.path(), CLAIMS, "cannot decode");
}

#[test]
fn an_empty_file_is_named() {
    let data = generated();
    std::fs::write(data.path().join("claims/year=2024/part-1.parquet"), b"").unwrap();
    assert_data_error(
        data.path(),
        "claims/year=2024/part-1.parquet",
        "not a readable Parquet file",
    );
}

#[test]
fn a_non_parquet_file_is_named_and_spark_markers_are_ignored() {
    let data = generated();
    std::fs::write(data.path().join("calls/year=2024/_SUCCESS"), b"").unwrap();
    std::fs::write(
        data.path().join("calls/year=2024/.part-0.parquet.crc"),
        b"x",
    )
    .unwrap();
    std::fs::write(
        data.path().join("calls/year=2024/README.txt"),
        b"export notes",
    )
    .unwrap();
    assert_data_error(
        data.path(),
        "calls/year=2024/README.txt",
        "not a readable Parquet file",
    );
}

#[test]
fn a_non_utf8_file_name_is_an_error_saying_to_rename() {
    use std::os::unix::ffi::OsStrExt;
    let data = generated();
    let name = std::ffi::OsStr::from_bytes(b"r\xe9clamations-2024.parquet");
    std::fs::copy(
        data.path().join("reclamations/year=2024/part-0.parquet"),
        data.path().join("reclamations/year=2024").join(name),
    )
    .unwrap();
    assert_data_error(data.path(), "reclamations", "not valid UTF-8");
    let (_, stderr, _) = run(data.path());
    assert!(stderr.contains("rename"), "{stderr}");
}

#[test]
fn wrong_type_and_missing_column_are_named_by_the_binary() {
    let f = Fixture::new(&[("CPAM-A", "CNAM", false)]);
    f.table(
        "calls",
        "part-0.parquet",
        vec![
            ("call_id", text(&[Some("k1")])),
            ("caisse_id", text(&[Some("CPAM-A")])),
            ("arrived_at", text(&[Some("2024-03-01 10:00")])),
        ],
    );
    let (code, stderr, _) = run(f.path());
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("calls/part-0.parquet") && stderr.contains("'arrived_at'"));
    assert!(stderr.contains("hint:"));

    let g = Fixture::new(&[("CPAM-A", "CNAM", false)]);
    g.table(
        "claims",
        "part-0.parquet",
        vec![("claim_id", text(&[Some("c1")]))],
    );
    assert_data_error(g.path(), "claims/part-0.parquet", "'caisse_id' is missing");
}

/// The run's manifest, parsed.
fn manifest(out: &tempfile::TempDir) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.path().join("out/manifest.json")).unwrap()).unwrap()
}

fn table<'a>(manifest: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    manifest["inputs"]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == name)
        .unwrap_or_else(|| panic!("no table {name} in the manifest"))
}

#[test]
fn a_table_of_zero_rows_reconciles_and_gives_no_value() {
    let f = Fixture::new(&[("CPAM-A", "CNAM", false)]);
    f.table(
        "claims",
        "part-0.parquet",
        vec![
            ("claim_id", text(&[])),
            ("caisse_id", text(&[])),
            ("kind", text(&[])),
            ("received_date", dates(&[])),
            ("paid_date", dates(&[])),
            ("amount", floats(&[])),
        ],
    );
    let (code, stderr, out) = run(f.path());
    assert_eq!(code, Some(0), "{stderr}");
    let m = manifest(&out);
    let claims = table(&m, "claims");
    assert_eq!(claims["rows_read"], 0);
    assert_eq!(claims["reconciled"], true);
    // No records → no value (never a 0 that would look like a real delay).
    let values = std::fs::read_dir(out.path().join("out/indicator_values"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(values, 0, "no indicator value from zero rows");
}

#[test]
fn huge_strings_absurd_dates_and_every_row_rule_go_to_rejects_with_counts_reconciled() {
    let f = Fixture::new(&[("CPAM-A", "CNAM", false)]);
    let huge = "X".repeat(1 << 20);
    // (claim_id, caisse_id, kind, received_date, paid_date, amount)
    type Row<'a> = (
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        Option<&'a str>,
        Option<f64>,
    );
    let rows: &[Row] = &[
        // (id, caisse, kind, received, paid, amount)
        (
            "ok1",
            "CPAM-A",
            "FSE",
            "2024-03-01",
            Some("2024-03-05"),
            Some(10.0),
        ),
        (
            "big-caisse",
            &huge,
            "FSE",
            "2024-03-01",
            Some("2024-03-05"),
            Some(10.0),
        ),
        (
            "big-kind",
            "CPAM-A",
            &huge,
            "2024-03-01",
            Some("2024-03-05"),
            Some(10.0),
        ),
        (
            &huge,
            "CPAM-A",
            "FSE",
            "2024-03-01",
            Some("2024-03-05"),
            Some(10.0),
        ),
        (
            "y2200",
            "CPAM-A",
            "FSE",
            "2024-03-01",
            Some("2200-01-01"),
            Some(10.0),
        ),
        (
            "y1900",
            "CPAM-A",
            "FSE",
            "1900-01-01",
            Some("2024-03-05"),
            Some(10.0),
        ),
        (
            "neg",
            "CPAM-A",
            "FSE",
            "2024-03-01",
            Some("2024-03-05"),
            Some(-1.0),
        ),
        (
            "noamount",
            "CPAM-A",
            "FSE",
            "2024-03-01",
            Some("2024-03-05"),
            None,
        ),
        (
            "order",
            "CPAM-A",
            "FSE",
            "2024-03-09",
            Some("2024-03-05"),
            Some(10.0),
        ),
        (
            "ok1",
            "CPAM-A",
            "FSE",
            "2024-03-02",
            Some("2024-03-06"),
            Some(10.0),
        ),
    ];
    let n = rows.len();
    f.table(
        "claims",
        "part-0.parquet",
        vec![
            (
                "claim_id",
                text(&rows.iter().map(|r| Some(r.0)).collect::<Vec<_>>()),
            ),
            (
                "caisse_id",
                text(&rows.iter().map(|r| Some(r.1)).collect::<Vec<_>>()),
            ),
            (
                "kind",
                text(&rows.iter().map(|r| Some(r.2)).collect::<Vec<_>>()),
            ),
            (
                "received_date",
                dates(&rows.iter().map(|r| Some(r.3)).collect::<Vec<_>>()),
            ),
            (
                "paid_date",
                dates(&rows.iter().map(|r| r.4).collect::<Vec<_>>()),
            ),
            (
                "amount",
                floats(&rows.iter().map(|r| r.5).collect::<Vec<_>>()),
            ),
        ],
    );
    let (code, stderr, out) = run(f.path());
    assert_eq!(code, Some(0), "{stderr}");
    let m = manifest(&out);
    let claims = table(&m, "claims");
    // ok1 and the 1 MB id (a legal, if odd, id) are accepted; the 8 others rejected.
    assert_eq!(claims["rows_read"], n);
    assert_eq!(claims["rows_accepted"], 2);
    assert_eq!(claims["rows_rejected"], 8);
    assert_eq!(claims["reconciled"], true);
    // Reasons echo at most 64 characters of a value: the rejects stay small.
    let rejects = out.path().join("out/rejects/claims/part-00000.parquet");
    let size = std::fs::metadata(&rejects).unwrap().len();
    assert!(size < 16 * 1024, "rejects are {size} bytes");
    use parangon::arrow::array::AsArray;
    let reader = parangon::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        std::fs::File::open(&rejects).unwrap(),
    )
    .unwrap()
    .build()
    .unwrap();
    let mut longest = 0;
    let mut clipped = false;
    for batch in reader {
        let batch = batch.unwrap();
        for name in ["reason", "record_key", "caisse_id"] {
            if let Some(column) = batch.column_by_name(name) {
                for v in column.as_string::<i32>().iter().flatten() {
                    longest = longest.max(v.len());
                    clipped |= v.contains("XXXX…");
                }
            }
        }
    }
    assert!(clipped, "the huge value is echoed, clipped");
    assert!(longest < 300, "longest reason or key: {longest} bytes");
    let reasons: Vec<String> = claims["reject_reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap().to_string())
        .collect();
    let all = reasons.join("\n");
    for needle in [
        "caisse_id: unknown caisse",
        "kind: unknown code",
        "absurd date 2200-01-01",
        "absurd date 1900-01-01",
        "negative value -1",
        "null in a non-null column",
        "paid_date is before received_date",
        "duplicate claim_id",
    ] {
        assert!(all.contains(needle), "a reason mentions {needle}:\n{all}");
    }
}
