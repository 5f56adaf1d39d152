//! The data contract at ingest: every bad row goes to rejects with its reason, rows read =
//! accepted + rejected, schema problems stop the run with the file and column named.

use crate::common::*;
use parangon::contract;
use parangon::ingest::Input;

fn bad_claims() -> Fixture {
    let f = Fixture::new(&[("CPAM-A", "CNAM", false), ("CPAM-B", "CNAM", false)]);
    let caisse = [
        Some("CPAM-A"),  // 1 valid
        None,            // 2 null caisse
        Some("CPAM-A"),  // 3 unknown code
        Some("CPAM-ZZ"), // 4 unknown caisse
        Some("CPAM-A"),  // 5 paid before received
        Some("CPAM-A"),  // 6 negative amount
        Some("CPAM-A"),  // 7 duplicate of row 1
        Some("CPAM-B"),  // 8 same id as row 1 in another caisse: fine
        Some("CPAM-A"),  // 9 absurd date
        Some("CPAM-A"),  // 10 valid, unpaid
    ];
    let id = ["c1", "c2", "c3", "c4", "c5", "c6", "c1", "c1", "c9", "c10"].map(Some);
    let kind = [
        "FSE", "FSE", "fse", "FSE", "FSE", "FSE", "FSE", "FSE", "FSE", "FSE",
    ]
    .map(Some);
    let received = [
        "2024-03-01",
        "2024-03-01",
        "2024-03-01",
        "2024-03-01",
        "2024-03-10",
        "2024-03-01",
        "2024-03-01",
        "2024-03-01",
        "1900-01-01",
        "2024-03-01",
    ]
    .map(Some);
    let paid = [
        Some("2024-03-02"),
        Some("2024-03-02"),
        Some("2024-03-02"),
        Some("2024-03-02"),
        Some("2024-03-02"),
        Some("2024-03-02"),
        Some("2024-03-02"),
        Some("2024-03-02"),
        Some("2024-03-02"),
        None,
    ];
    let amount = [
        Some(1.0),
        Some(1.0),
        Some(1.0),
        Some(1.0),
        Some(1.0),
        Some(-5.0),
        Some(1.0),
        Some(1.0),
        Some(1.0),
        Some(1.0),
    ];
    // An extra column with a personal identifier: allowed by the contract, never read.
    let nir = vec![Some("1840312345678"); 10];
    f.table(
        "claims",
        "a/part-0.parquet",
        vec![
            ("claim_id", text(&id)),
            ("caisse_id", text(&caisse)),
            ("kind", text(&kind)),
            ("received_date", dates(&received)),
            ("paid_date", dates(&paid)),
            ("amount", floats(&amount)),
            ("nir", text(&nir)),
        ],
    );
    // A later file (path order) repeating c1 of CPAM-A: rejected, the first is kept.
    f.table(
        "claims",
        "b/part-0.parquet",
        vec![
            ("claim_id", text(&[Some("c1"), Some("c11")])),
            ("caisse_id", text(&[Some("CPAM-A"), Some("CPAM-A")])),
            ("kind", text(&[Some("FSE"), Some("FSE")])),
            (
                "received_date",
                dates(&[Some("2024-03-01"), Some("2024-03-01")]),
            ),
            (
                "paid_date",
                dates(&[Some("2024-03-03"), Some("2024-03-03")]),
            ),
            ("amount", floats(&[Some(1.0), Some(1.0)])),
        ],
    );
    f
}

#[tokio::test]
async fn every_bad_row_is_rejected_with_its_reason_and_counts_reconcile() {
    let out = bad_claims().compute().await;
    let t = out.tables.iter().find(|t| t.table == "claims").unwrap();
    assert_eq!(
        (
            t.counts.rows_read,
            t.counts.rows_accepted,
            t.counts.rows_rejected
        ),
        (12, 4, 8)
    );
    let got: Vec<(String, i64, Option<String>, String)> = t
        .rejects
        .rows
        .iter()
        .map(|r| {
            (
                r.source_file.clone(),
                r.row_number,
                r.column.clone(),
                r.reason.clone(),
            )
        })
        .collect();
    let row = |file: &str, n: i64, column: &str, reason: &str| {
        (
            format!("claims/{file}/part-0.parquet"),
            n,
            Some(column.to_string()),
            reason.to_string(),
        )
    };
    let duplicate = "duplicate claim_id within caisse CPAM-A (the first occurrence is kept)";
    assert_eq!(
        got,
        vec![
            row("a", 2, "caisse_id", "null in a non-null column"),
            row(
                "a",
                3,
                "kind",
                "unknown code 'fse' (expected one of: FSE, FSP, IJ)"
            ),
            row(
                "a",
                4,
                "caisse_id",
                "unknown caisse 'CPAM-ZZ' (not in reference/caisses)"
            ),
            row("a", 5, "paid_date", "paid_date is before received_date"),
            row("a", 6, "amount", "negative value -5"),
            row("a", 7, "claim_id", duplicate),
            row(
                "a",
                9,
                "received_date",
                "absurd date 1900-01-01 (accepted: 1950-01-01 to 2099-12-31)"
            ),
            row("b", 1, "claim_id", duplicate),
        ]
    );
    assert_eq!(t.rejects.rows[5].record_key.as_deref(), Some("c1"));
    // Rejected rows are in no indicator: CPAM-A March FSE paid = c1 (1 day), c11 (2 days).
    close(
        value(
            &out,
            "claims_fse_delay_mean",
            parangon::model::Level::Caisse,
            "CPAM-A",
            "2024-03",
        ),
        1.5,
    );
    // Rejects carry the key and the reason, never the row's other values.
    let batch = t.rejects.to_batch();
    let names: Vec<_> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(
        names,
        [
            "table",
            "source_file",
            "row_number",
            "caisse_id",
            "record_key",
            "column",
            "reason"
        ]
    );
    let dump = format!("{batch:?}");
    assert!(!dump.contains("1840312345678"));
}

#[tokio::test]
async fn wrong_type_names_file_column_and_types() {
    let f = Fixture::new(&[("CPAM-A", "CNAM", false)]);
    f.table(
        "claims",
        "part-0.parquet",
        vec![
            ("claim_id", text(&[Some("c1")])),
            ("caisse_id", text(&[Some("CPAM-A")])),
            ("kind", text(&[Some("FSE")])),
            ("received_date", text(&[Some("2024-03-01")])), // a string, not a date
            ("paid_date", dates(&[Some("2024-03-02")])),
            ("amount", floats(&[Some(1.0)])),
        ],
    );
    let err = Input::open(f.path().to_str().unwrap(), &[&contract::CLAIMS])
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("claims/part-0.parquet"), "{text}");
    assert!(
        text.contains("'received_date'")
            && text.contains("expected date32")
            && text.contains("Utf8"),
        "{text}"
    );
}

#[tokio::test]
async fn missing_required_column_and_non_parquet_file() {
    let f = Fixture::new(&[("CPAM-A", "CNAM", false)]);
    f.table(
        "claims",
        "part-0.parquet",
        vec![("claim_id", text(&[Some("c1")]))],
    );
    let err = Input::open(f.path().to_str().unwrap(), &[&contract::CLAIMS])
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("column 'caisse_id' is missing"),
        "{err}"
    );

    let g = Fixture::new(&[("CPAM-A", "CNAM", false)]);
    std::fs::create_dir_all(g.path().join("calls")).unwrap();
    std::fs::write(g.path().join("calls/notes.txt"), "not parquet").unwrap();
    std::fs::write(g.path().join("calls/_SUCCESS"), "").unwrap(); // ignored, as Spark writes it
    let err = Input::open(g.path().to_str().unwrap(), &[&contract::CALLS])
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("calls/notes.txt") && text.contains("not a readable Parquet file"),
        "{text}"
    );
}

#[tokio::test]
async fn physical_types_are_normalised() {
    // Dictionary strings, unsigned ints, float32 and timezone-aware timestamps are accepted.
    use parangon::arrow::array::{DictionaryArray, TimestampMillisecondArray, UInt16Array};
    use parangon::arrow::datatypes::Int32Type;
    use std::sync::Arc;
    let f = Fixture::new(&[("CPAM-A", "CNAM", false)]);
    let outcome: DictionaryArray<Int32Type> = vec!["agent", "abandoned"].into_iter().collect();
    // 2024-03-31 22:30 UTC is 1 April 00:30 in Paris (summer time): an April call.
    let utc = TimestampMillisecondArray::from(vec![1_711_924_200_000, 1_711_924_200_000])
        .with_timezone("UTC");
    f.table(
        "calls",
        "part-0.parquet",
        vec![
            ("call_id", text(&[Some("t1"), Some("t2")])),
            ("caisse_id", same_text("CPAM-A", 2)),
            ("arrived_at", Arc::new(utc)),
            ("outcome", Arc::new(outcome)),
            ("wait_seconds", Arc::new(UInt16Array::from(vec![30, 40]))),
        ],
    );
    let out = f.compute().await;
    close(
        value(
            &out,
            "calls_agent_answer_rate",
            parangon::model::Level::Caisse,
            "CPAM-A",
            "2024-04",
        ),
        50.0,
    );
    let t = out.tables.iter().find(|t| t.table == "calls").unwrap();
    assert!(
        t.warnings.iter().any(|w| w.contains("talk_seconds")),
        "{:?}",
        t.warnings
    );
}
