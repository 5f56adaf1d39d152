//! The as-of date end to end (indicators-v2 §1.1, §1.9, §9.1): `extract_date` given or the date
//! derived from the rows, `--as-of` over both, what `manifest.json` says of each caisse, and
//! the `n_pending` and `provisional` columns of `indicator_values`. The values themselves are
//! the test cases' (`pipelines/cases/emails.toml`, `reclamations.toml`).

use std::path::Path;
use std::process::{Command, Output};

use parangon::arrow::array::{Array, AsArray};
use parangon::arrow::datatypes::{Float64Type, Int64Type};
use parangon::ingest::Caisse;
use parangon::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::common::{Fixture, bools, day, ids, ok, stamps, text};

fn parangon(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_parangon"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// (caisse_id, value, n_pending, provisional) of `emails_within_48h` in March 2024.
fn march(out: &Path) -> Vec<(String, f64, Option<i64>, bool)> {
    let file =
        std::fs::File::open(out.join("indicator_values/year=2024/part-00000.parquet")).unwrap();
    let mut cells = Vec::new();
    for batch in ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap()
    {
        let b = batch.unwrap();
        let s = |name: &str| b.column_by_name(name).unwrap().as_string::<i32>().clone();
        let (id, level, caisse, period) =
            (s("indicator_id"), s("level"), s("caisse_id"), s("period"));
        let value = b
            .column_by_name("value")
            .unwrap()
            .as_primitive::<Float64Type>()
            .clone();
        let pending = b
            .column_by_name("n_pending")
            .unwrap()
            .as_primitive::<Int64Type>()
            .clone();
        let provisional = b
            .column_by_name("provisional")
            .unwrap()
            .as_boolean()
            .clone();
        for i in 0..b.num_rows() {
            if id.value(i) == "emails_within_48h"
                && level.value(i) == "caisse"
                && period.value(i) == "2024-03"
            {
                cells.push((
                    caisse.value(i).to_string(),
                    value.value(i),
                    pending.is_valid(i).then(|| pending.value(i)),
                    provisional.value(i),
                ));
            }
        }
    }
    cells.sort_by(|a, b| a.0.cmp(&b.0));
    cells
}

#[test]
fn extract_date_derived_dates_and_the_as_of_option() {
    // E1: no extract_date; its rows' latest event is 30 March (e2 received and answered).
    // E2: extract_date 30 March. Each has an e-mail received 29 March 10:00 and never answered
    // (deadline 31 March 10:00) and one answered within the hour.
    let f = Fixture::new(&[("E1", "CNAM", false), ("E2", "CNAM", false)]);
    let caisse = |id: &str, extract_date| Caisse {
        caisse_id: id.into(),
        name: format!("Caisse {id}"),
        organism: "CNAM".into(),
        region: None,
        alsace_moselle: false,
        extract_date,
    };
    std::fs::write(
        f.path().join("reference/caisses.csv"),
        parangon::ingest::reference::to_csv(&[
            caisse("E1", None),
            caisse("E2", Some(day("2024-03-30"))),
        ]),
    )
    .unwrap();
    f.table(
        "emails",
        "part-0.parquet",
        vec![
            ("email_id", ids("M", 4)),
            (
                "caisse_id",
                text(&[Some("E1"), Some("E1"), Some("E2"), Some("E2")]),
            ),
            (
                "received_at",
                stamps(&[
                    Some("2024-03-29 10:00"),
                    Some("2024-03-30 08:00"),
                    Some("2024-03-29 10:00"),
                    Some("2024-03-28 09:00"),
                ]),
            ),
            (
                "first_response_at",
                stamps(&[
                    None,
                    Some("2024-03-30 12:00"),
                    None,
                    Some("2024-03-28 10:00"),
                ]),
            ),
            ("is_spam", bools(&[Some(false); 4])),
        ],
    );
    let input = f.path().to_str().unwrap().to_string();
    let out = f.path().join("out");
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "--input", &input, "--output", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        ok(&parangon(&args));
        serde_json::from_slice::<serde_json::Value>(
            &std::fs::read(out.join("manifest.json")).unwrap(),
        )
        .unwrap()
    };
    // A = 30 March for both (derived for E1, given for E2): the unanswered e-mail is pending,
    // 1 of 1 decided within 48 h, March provisional (it ends after A).
    let manifest = run(&[]);
    assert_eq!(
        manifest["as_of"],
        serde_json::json!([
            { "caisse_id": "E1", "source": "derived", "tables": { "emails": "2024-03-30" } },
            { "caisse_id": "E2", "source": "given", "date": "2024-03-30" },
        ])
    );
    assert_eq!(manifest["arguments"].get("as_of"), None);
    assert_eq!(
        march(&out),
        vec![
            ("E1".to_string(), 100.0, Some(1), true),
            ("E2".to_string(), 100.0, Some(1), true),
        ]
    );
    // --as-of 31 March over both: the 48 hours have elapsed, the e-mail fails (1 of 2), and
    // March is final. A changed option is a new run, not an unchanged rerun.
    let manifest = run(&["--as-of", "2024-03-31"]);
    assert_eq!(
        manifest["as_of"],
        serde_json::json!([
            { "caisse_id": "E1", "source": "option", "date": "2024-03-31" },
            { "caisse_id": "E2", "source": "option", "date": "2024-03-31" },
        ])
    );
    assert_eq!(manifest["arguments"]["as_of"], "2024-03-31");
    assert_eq!(
        march(&out),
        vec![
            ("E1".to_string(), 50.0, Some(0), false),
            ("E2".to_string(), 50.0, Some(0), false),
        ]
    );
    // Not a date: a usage error (exit 2).
    let bad = parangon(&["run", "--input", &input, "--as-of", "31/03/2024"]);
    assert_eq!(bad.status.code(), Some(2), "{bad:?}");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a date YYYY-MM-DD"));
}
