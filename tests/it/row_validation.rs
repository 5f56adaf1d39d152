//! Property test of the row validation: the fuzz target's harness (`fuzz/batch_from_bytes.rs`)
//! on 4 000 pseudo-random inputs, every run of `cargo test`. The coverage-guided search is
//! `cargo +nightly fuzz run row_validation` (fuzz/README.md), run for a minute by `.ci/run`.

#[path = "../../fuzz/batch_from_bytes.rs"]
mod batch_from_bytes;

use rand::{Rng, SeedableRng};

#[test]
fn row_validation_keeps_its_guarantees_on_random_batches() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(6);
    for _ in 0..4_000 {
        let len = rng.random_range(0..600);
        let data: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        batch_from_bytes::check(&data);
    }
}

#[test]
fn every_table_and_physical_type_is_reached() {
    // The first byte picks the table: each of the contract's tables is built and checked.
    for t in 0..parangon::contract::TABLES.len() as u8 {
        let mut data = vec![t, 39];
        data.extend((0..2_000u32).map(|i| (i * 37 % 251) as u8));
        batch_from_bytes::check(&data);
    }
}

/// The inputs the fuzzer found worth keeping (fuzz/regressions/), replayed.
#[test]
fn fuzz_regressions_still_pass() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        batch_from_bytes::check(&std::fs::read(&path).unwrap());
    }
}

mod found_by_fuzzing {
    //! Each of these crashed or silently altered a row before the fuzz target found it.
    use std::sync::Arc;

    use super::batch_from_bytes::reference;
    use parangon::arrow::array::{ArrayRef, Date32Array, Date64Array, StringArray, UInt64Array};
    use parangon::contract;
    use parangon::ingest::check_batch;

    fn text(v: &[&str]) -> Option<ArrayRef> {
        Some(Arc::new(StringArray::from(v.to_vec())))
    }

    #[test]
    fn a_date_beyond_chronos_range_is_rejected_not_a_panic() {
        let arrays: Vec<Option<ArrayRef>> = contract::CLAIMS
            .columns
            .iter()
            .map(|c| -> Option<ArrayRef> {
                match c.name {
                    "claim_id" => text(&["a", "b"]),
                    "caisse_id" => text(&["C1", "C1"]),
                    "kind" => text(&["FSE", "FSE"]),
                    "received_date" => Some(Arc::new(Date32Array::from(vec![i32::MIN, 19_800]))),
                    "paid_date" => Some(Arc::new(Date32Array::from(vec![19_800, i32::MAX]))),
                    "amount" => Some(Arc::new(parangon::arrow::array::Float64Array::from(vec![
                        1.0, 1.0,
                    ]))),
                    _ if c.required => panic!("fill required column {}", c.name),
                    _ => None,
                }
            })
            .collect();
        let checked = check_batch(&contract::CLAIMS, reference(), "f", &arrays).unwrap();
        assert_eq!(checked.counts.rows_rejected, 2);
        let reasons: Vec<&str> = checked
            .rejects
            .rows
            .iter()
            .map(|r| r.reason.as_str())
            .collect();
        assert_eq!(
            reasons,
            vec![
                "absurd date of day -2147483648 from 1970-01-01 (accepted: 1950-01-01 to 2099-12-31)",
                "absurd date of day 2147483647 from 1970-01-01 (accepted: 1950-01-01 to 2099-12-31)",
            ]
        );
    }

    #[test]
    fn values_that_do_not_fit_the_canonical_type_are_rejected_not_nulled() {
        // calls: a Date64 arrival beyond the microsecond range, and an unsigned wait above
        // i64::MAX in a nullable column (a cast would have made it null and accepted the row).
        let spec = &contract::CALLS;
        let n = 3;
        let arrays: Vec<Option<ArrayRef>> = spec
            .columns
            .iter()
            .map(|c| -> Option<ArrayRef> {
                match c.name {
                    "call_id" => text(&["k1", "k2", "k3"]),
                    "caisse_id" => text(&["C1"; 3]),
                    "arrived_at" => Some(Arc::new(Date64Array::from(vec![
                        1_700_000_000_000,
                        i64::MAX / 2,
                        1_700_000_000_000,
                    ]))),
                    "outcome" => text(&["agent"; 3]),
                    "wait_seconds" => Some(Arc::new(UInt64Array::from(vec![30, 30, u64::MAX]))),
                    _ if c.required => panic!("fill required column {}", c.name),
                    _ => None,
                }
            })
            .collect();
        let checked = check_batch(spec, reference(), "f", &arrays).unwrap();
        assert_eq!(checked.counts.rows_read, n);
        assert_eq!(checked.counts.rows_accepted, 1);
        let rejects: Vec<(i64, Option<&str>, &str)> = checked
            .rejects
            .rows
            .iter()
            .map(|r| (r.row_number, r.column.as_deref(), r.reason.as_str()))
            .collect();
        assert_eq!(
            rejects,
            vec![
                (2, Some("arrived_at"), "value out of the range of timestamp"),
                (3, Some("wait_seconds"), "value out of the range of int"),
            ]
        );
    }
}
