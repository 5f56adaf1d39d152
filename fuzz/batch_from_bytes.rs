//! Builds a batch of extract rows from arbitrary bytes, and checks what the row validation must
//! guarantee on it. Shared by the cargo-fuzz target (`fuzz_targets/row_validation.rs`) and the
//! property test run by `cargo test` (`tests/row_validation.rs`), so both explore the same space:
//! every table of the contract, every physical type the contract accepts (dictionary strings,
//! unsigned and narrow integers, decimals, Date64, timestamps in any unit and zone), nulls,
//! absent nullable columns, codes with wrong case or spaces, unknown caisses, duplicate ids,
//! dates around the plausible range and at the ends of the types, NaN and infinities, multi-byte
//! and long strings.

use std::sync::Arc;

use parangon::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Date32Array, Date64Array, Decimal128Array,
    DictionaryArray, Float32Array, Float64Array, Int8Array, Int32Array, Int64Array,
    LargeStringArray, StringArray, TimestampMicrosecondArray, TimestampMillisecondArray,
    TimestampNanosecondArray, TimestampSecondArray, UInt64Array,
};
use parangon::arrow::datatypes::{Float64Type, Int32Type, Int64Type};
use parangon::contract::{self, LogicalType, PLAUSIBLE_DAYS, TableSpec};
use parangon::ingest::{Caisse, Reference, check_batch};

/// Reads the fuzzer's bytes; zeros once they run out.
pub struct Bytes<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Bytes<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Self { data, at: 0 }
    }

    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }

    fn pick(&mut self, n: usize) -> usize {
        self.byte() as usize % n
    }

    fn i64(&mut self) -> i64 {
        i64::from_le_bytes(std::array::from_fn(|_| self.byte()))
    }
}

pub fn reference() -> Arc<Reference> {
    let caisse = |id: &str, organism: &str, am: bool| Caisse {
        caisse_id: id.into(),
        name: id.into(),
        organism: organism.into(),
        region: None,
        alsace_moselle: am,
        extract_date: None,
    };
    Arc::new(
        Reference::new(
            vec![
                caisse("C1", "CNAM", false),
                caisse("C2", "CNAM", true),
                caisse("C3", "CAVIMAC", false),
            ],
            "reference/caisses.csv".into(),
        )
        .expect("a valid reference"),
    )
}

/// A day number (Date32) from the interesting ones: plausible days of 2023-2025, the edges of
/// the plausible range, and the ends of the type.
fn day(b: &mut Bytes) -> Option<i32> {
    let base = 19_358; // 2023-01-01
    Some(match b.pick(10) {
        0 => return None,
        1 => PLAUSIBLE_DAYS.0 - 1 + b.pick(3) as i32,
        2 => PLAUSIBLE_DAYS.1 - 1 + b.pick(3) as i32,
        3 => [i32::MIN, i32::MAX, -719_528, 2_932_896][b.pick(4)],
        _ => base + (b.byte() as i32) * 4 + b.pick(4) as i32,
    })
}

fn strings(b: &mut Bytes, n: usize, codes: Option<&[&str]>, name: &str) -> Vec<Option<String>> {
    (0..n)
        .map(|_| {
            Some(match b.pick(12) {
                0 => return None,
                1..=4 if name == "caisse_id" => {
                    ["C1", "C2", "C3", "C9", "c1", " C1"][b.pick(6)].into()
                }
                1..=4 => match codes {
                    Some(list) => list[b.pick(list.len())].to_string(),
                    None => format!("k{}", b.pick(6)), // few ids: duplicates
                },
                5 => match codes {
                    Some(list) => list[b.pick(list.len())].to_uppercase(),
                    None => String::new(),
                },
                6 => "é".repeat(40 + b.pick(60)), // clipped in reasons on a char boundary
                7 => "\u{0}\u{ffff}\n;\"'".into(),
                8 => format!("{} ", codes.map_or("x", |l| l[0])),
                9 => "X".repeat(300),
                _ => ["C1", "FSE", "maladie", "agent", "telephone", "k1"][b.pick(6)].into(),
            })
        })
        .collect()
}

fn text_array(b: &mut Bytes, values: Vec<Option<String>>) -> ArrayRef {
    match b.pick(3) {
        0 => Arc::new(StringArray::from(values)),
        1 => Arc::new(LargeStringArray::from(values)),
        _ => {
            let refs: Vec<Option<&str>> = values.iter().map(|v| v.as_deref()).collect();
            Arc::new(refs.into_iter().collect::<DictionaryArray<Int32Type>>())
        }
    }
}

fn column(
    b: &mut Bytes,
    name: &str,
    ty: LogicalType,
    codes: Option<&[&str]>,
    n: usize,
) -> ArrayRef {
    match ty {
        LogicalType::Utf8 => {
            let values = strings(b, n, codes, name);
            text_array(b, values)
        }
        LogicalType::Int => {
            let values: Vec<Option<i64>> = (0..n)
                .map(|_| match b.pick(8) {
                    0 => None,
                    1 => Some(b.i64()),
                    2 => Some(-(b.pick(5) as i64)),
                    _ => Some(if name == "year" {
                        2022 + b.pick(4) as i64
                    } else {
                        b.pick(50) as i64
                    }),
                })
                .collect();
            match b.pick(4) {
                0 => Arc::new(Int64Array::from(values)),
                1 => Arc::new(Int32Array::from(
                    values
                        .iter()
                        .map(|v| v.map(|v| v as i32))
                        .collect::<Vec<_>>(),
                )),
                2 => Arc::new(Int8Array::from(
                    values
                        .iter()
                        .map(|v| v.map(|v| v as i8))
                        .collect::<Vec<_>>(),
                )),
                // Unsigned: a negative i64 becomes a value above i64::MAX that cannot fit.
                _ => Arc::new(UInt64Array::from(
                    values
                        .iter()
                        .map(|v| v.map(|v| v as u64))
                        .collect::<Vec<_>>(),
                )),
            }
        }
        LogicalType::Float => {
            let values: Vec<Option<f64>> = (0..n)
                .map(|_| match b.pick(10) {
                    0 => None,
                    1 => Some(
                        [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, f64::MAX][b.pick(5)],
                    ),
                    2 => Some(-(b.byte() as f64)),
                    _ => Some(b.byte() as f64 * 10.5),
                })
                .collect();
            match b.pick(3) {
                0 => Arc::new(Float64Array::from(values)),
                1 => Arc::new(Float32Array::from(
                    values
                        .iter()
                        .map(|v| v.map(|v| v as f32))
                        .collect::<Vec<_>>(),
                )),
                _ => Arc::new(
                    Decimal128Array::from(
                        values
                            .iter()
                            .map(|v| {
                                v.filter(|v| v.is_finite() && v.abs() < 1e15)
                                    .map(|v| (v * 100.0) as i128)
                            })
                            .collect::<Vec<_>>(),
                    )
                    .with_precision_and_scale(20, 2)
                    .expect("valid decimal"),
                ),
            }
        }
        LogicalType::Date | LogicalType::Timestamp => {
            let days: Vec<Option<i32>> = (0..n).map(|_| day(b)).collect();
            let micros = |d: i32, b: &mut Bytes| {
                i64::from(d)
                    .saturating_mul(86_400_000_000)
                    .saturating_add(b.pick(86_400) as i64 * 1_000_000)
            };
            match b.pick(6) {
                0 => Arc::new(Date32Array::from(days)),
                1 => Arc::new(Date64Array::from(
                    days.iter()
                        .map(|d| d.map(|d| i64::from(d) * 86_400_000))
                        .collect::<Vec<_>>(),
                )),
                2 => Arc::new(TimestampMicrosecondArray::from(
                    days.iter()
                        .map(|d| d.map(|d| micros(d, b)))
                        .collect::<Vec<_>>(),
                )),
                3 => Arc::new(
                    TimestampMillisecondArray::from(
                        days.iter()
                            .map(|d| d.map(|d| micros(d, b) / 1000))
                            .collect::<Vec<_>>(),
                    )
                    .with_timezone("+02:00"),
                ),
                4 => Arc::new(
                    TimestampSecondArray::from(
                        days.iter()
                            .map(|d| d.map(|d| i64::from(d) * 86_400 + b.pick(86_400) as i64))
                            .collect::<Vec<_>>(),
                    )
                    .with_timezone("UTC"),
                ),
                // Nanoseconds: the far days overflow i64 and must not wrap silently.
                _ => Arc::new(TimestampNanosecondArray::from(
                    days.iter()
                        .map(|d| d.map(|d| i64::from(d).saturating_mul(86_400_000_000_000)))
                        .collect::<Vec<_>>(),
                )),
            }
        }
        LogicalType::Bool => Arc::new(BooleanArray::from(
            (0..n)
                .map(|_| match b.pick(3) {
                    0 => None,
                    1 => Some(true),
                    _ => Some(false),
                })
                .collect::<Vec<_>>(),
        )),
    }
}

/// A table of the contract and one batch of its columns (contract order), from the bytes.
pub fn batch(data: &[u8]) -> (&'static TableSpec, Vec<Option<ArrayRef>>) {
    let mut b = Bytes::new(data);
    let spec = contract::TABLES[b.pick(contract::TABLES.len())];
    let n = b.pick(40);
    let arrays = spec
        .columns
        .iter()
        .map(|c| {
            if !c.required && b.pick(10) == 0 {
                None
            } else {
                Some(column(&mut b, c.name, c.ty, c.codes, n))
            }
        })
        .collect();
    (spec, arrays)
}

/// Validates the batch built from `data` and panics if a guarantee is broken.
pub fn check(data: &[u8]) {
    let (spec, arrays) = batch(data);
    let n = arrays.iter().flatten().map(|a| a.len()).next().unwrap_or(0);
    let reference = reference();
    let checked = match check_batch(spec, reference.clone(), "t/part-0.parquet", &arrays) {
        Ok(c) => c,
        Err(e) => panic!("a row-level problem stopped the table {}: {e}", spec.name),
    };
    let c = &checked.counts;
    // Nothing lost: every row is accepted or rejected, once.
    assert_eq!(c.rows_read, n as u64);
    assert_eq!(c.rows_accepted + c.rows_rejected, c.rows_read);
    assert_eq!(checked.rejects.rows.len() as u64, c.rows_rejected);
    let accepted_rows = checked.accepted.as_ref().map_or(0, |b| b.num_rows());
    assert_eq!(accepted_rows as u64, c.rows_accepted);
    let mut numbers: Vec<i64> = checked.rejects.rows.iter().map(|r| r.row_number).collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(
        numbers.len(),
        checked.rejects.rows.len(),
        "one reject per row"
    );
    assert!(numbers.iter().all(|&r| r >= 1 && r <= n as i64));
    // Reasons say something, name a column, and echo at most 64 characters of a value.
    for r in &checked.rejects.rows {
        assert!(!r.reason.is_empty());
        assert!(r.column.is_some(), "{r:?}");
        assert!(r.reason.chars().count() < 400, "{}", r.reason);
        for echoed in [&r.caisse_id, &r.record_key].into_iter().flatten() {
            assert!(echoed.chars().count() <= 65, "{echoed}");
        }
    }
    // Accepted rows satisfy the contract.
    if let Some(batch) = &checked.accepted {
        for (i, col) in spec.columns.iter().enumerate() {
            let array = batch.column(i);
            assert_eq!(array.data_type(), &col.ty.canonical(), "{}", col.name);
            if col.required {
                assert_eq!(array.null_count(), 0, "null accepted in {}", col.name);
            }
            if let Some(codes) = col.codes {
                for v in array.as_string::<i32>().iter().flatten() {
                    assert!(codes.contains(&v), "code {v:?} accepted in {}", col.name);
                }
            }
            match col.ty {
                LogicalType::Float => {
                    for v in array.as_primitive::<Float64Type>().iter().flatten() {
                        assert!(v.is_finite(), "{v} accepted in {}", col.name);
                        if col.non_negative {
                            assert!(v >= 0.0, "{v} accepted in {}", col.name);
                        }
                    }
                }
                LogicalType::Int if col.range.is_none() && col.non_negative => {
                    for v in array.as_primitive::<Int64Type>().iter().flatten() {
                        assert!(v >= 0, "{v} accepted in {}", col.name);
                    }
                }
                _ => {}
            }
        }
        let caisses = batch
            .column(
                spec.columns
                    .iter()
                    .position(|c| c.name == "caisse_id")
                    .unwrap(),
            )
            .as_string::<i32>();
        for v in caisses.iter().flatten() {
            assert!(reference.get(v).is_some(), "unknown caisse {v} accepted");
        }
    }
    // Deterministic.
    let again = check_batch(spec, reference, "t/part-0.parquet", &arrays).unwrap();
    assert_eq!(again.counts, checked.counts);
    assert_eq!(again.accepted, checked.accepted);
}
