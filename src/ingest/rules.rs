//! The row rules of the contract (extracts.md, "Rejects"), and the messages a rejected row
//! carries. Pure: a batch's columns, already cast to their canonical types
//! (`super::normalise`), go in; a verdict per row comes out. Nothing here reads a file or
//! remembers another batch, so batches are checked in parallel.
//!
//! A row is checked against the rules in this order, and keeps the **first** rule it fails —
//! that is the reason printed in the rejects:
//!
//! 1. a value that does not fit its column's type (an unsigned integer above `i64::MAX`,
//!    a timestamp beyond year 262 000): `Failure::Unfit`;
//! 2. then, column by column in the contract's order:
//!    - a null in a non-null column (`null: no`): `Failure::Null`; a null in a nullable
//!      column passes every other rule of that column;
//!    - a text code not in the column's closed list, matched exactly: `Failure::Code`;
//!    - a number that is not finite (NaN, ±∞): `Failure::NotFinite`;
//!    - a negative amount, duration or count: `Failure::Negative`;
//!    - an integer outside its range (satisfaction scores 1-4): `Failure::Range`;
//!    - an absurd date, outside 1950-01-01..2099-12-31 (`PLAUSIBLE_DAYS`): `Failure::Absurd`;
//! 3. a date order that cannot be (paid before received, closed before received, …):
//!    `Failure::Order`;
//! 4. a caisse absent from `reference/caisses`: `Failure::UnknownCaisse`;
//! 5. a duplicate record id within its caisse — for the yearly tables, a second row for the
//!    same caisse and year: `Failure::Duplicate`. The first occurrence in path order is kept.
//!    This one needs every earlier row, so it is not decided here: [`record_keys`] hashes each
//!    row's (caisse, id) and the duplicate check (`super::duplicates`) runs on the hashes in
//!    path order.
//!
//! The verdicts of rules 1-4 come from [`rule_verdicts`]; the message of every rule from
//! [`reject`].

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Int64Array, StringArray};
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Float64Type, Int64Type, TimestampMicrosecondType,
};

use super::normalise::MICROS_PER_DAY;
use super::reference::Reference;
use super::rejects::Reject;
use crate::contract::{ColumnSpec, LogicalType, PLAUSIBLE_DAYS, RecordKey, TableSpec};

/// What a row is found to be.
#[derive(Debug, Clone, Copy)]
pub(super) enum Verdict {
    /// No rule has failed yet.
    Pending,
    /// Accepted, with the index of its caisse in the reference.
    Accepted(usize),
    Failed(Failure),
}

/// The first rule a row fails (column indexes in contract order), in the order they are
/// checked.
#[derive(Debug, Clone, Copy)]
pub(super) enum Failure {
    /// Rule 1: the value does not fit the column's canonical type.
    Unfit(usize),
    /// Rule 2: null in a non-null column.
    Null(usize),
    /// Rule 2: a code outside the column's closed list.
    Code(usize),
    /// Rule 2: a float that is not finite.
    NotFinite(usize),
    /// Rule 2: a negative value in a non-negative column.
    Negative(usize),
    /// Rule 2: an integer outside the column's inclusive range.
    Range(usize),
    /// Rule 2: a date or timestamp outside `PLAUSIBLE_DAYS`.
    Absurd(usize),
    /// Rule 3: the table's date order of that index is broken (`later` before `earlier`).
    Order(usize),
    /// Rule 4: the caisse is not in the reference.
    UnknownCaisse,
    /// Rule 5: a later occurrence of the row's (caisse, record id).
    Duplicate,
}

/// The verdict of every row of a batch on the row rules — the rules run column by column over
/// the whole batch in the contract's order, and a row keeps the first rule it fails, exactly as
/// if each row were checked rule after rule —, up to the caisse lookup: a row that passes gets
/// `Accepted(caisse)`, pending the duplicate check. Needs nothing from other batches, so batches
/// are checked in parallel.
///
/// `lost`: per column, the rows whose value did not fit its canonical type
/// ([`super::normalise::Canonical`]).
pub(super) fn rule_verdicts(
    spec: &'static TableSpec,
    reference: &Reference,
    columns: &[ArrayRef],
    lost: &[Option<BooleanArray>],
) -> Vec<Verdict> {
    let n = columns.first().map_or(0, |c| c.len());
    let mut verdicts = vec![Verdict::Pending; n];
    // Rule 1: a value that did not fit the canonical type, in any column, comes first.
    for (ci, l) in lost.iter().enumerate() {
        if let Some(l) = l {
            for row in l.values().set_indices() {
                fail(&mut verdicts, row, Failure::Unfit(ci));
            }
        }
    }
    // Rule 2: each column's own rules, in the contract's order.
    for (ci, (c, array)) in spec.columns.iter().zip(columns).enumerate() {
        column_rules(&mut verdicts, ci, c, array);
    }
    // Rule 3: the date orders.
    for (oi, order) in spec.date_orders.iter().enumerate() {
        let (i, j) = (position(spec, order.earlier), position(spec, order.later));
        let (a, b) = (&columns[i], &columns[j]);
        let (da, db) = (Days::of(a), Days::of(b));
        for row in 0..n {
            if matches!(verdicts[row], Verdict::Pending)
                && a.is_valid(row)
                && b.is_valid(row)
                && db.instant(row) < da.instant(row)
            {
                fail(&mut verdicts, row, Failure::Order(oi));
            }
        }
    }
    // Rule 4: the caisse must be in the reference; a row still pending is then accepted.
    let caisses = columns[position(spec, "caisse_id")].as_string::<i32>();
    // Caisses come in long runs (extracts are written caisse by caisse): the previous lookup
    // is reused while the id repeats.
    let mut last: Option<CaisseLookup> = None;
    for (row, verdict) in verdicts.iter_mut().enumerate() {
        if !matches!(verdict, Verdict::Pending) {
            continue;
        }
        let caisse_id = caisses.value(row);
        let index = match last {
            Some(CaisseLookup { id, index }) if id == caisse_id => index,
            _ => {
                let index = reference.index_of(caisse_id);
                last = Some(CaisseLookup {
                    id: caisse_id,
                    index,
                });
                index
            }
        };
        *verdict = match index {
            Some(caisse) => Verdict::Accepted(caisse),
            None => Verdict::Failed(Failure::UnknownCaisse),
        };
    }
    verdicts
}

/// Fails `row` for `failure`, unless it already failed an earlier rule.
fn fail(verdicts: &mut [Verdict], row: usize, failure: Failure) {
    if matches!(verdicts[row], Verdict::Pending) {
        verdicts[row] = Verdict::Failed(failure);
    }
}

/// Rule 2 for column `ci` (`c`, its values `array`), on the rows not failed yet.
fn column_rules(verdicts: &mut [Verdict], ci: usize, c: &ColumnSpec, array: &ArrayRef) {
    let n = verdicts.len();
    let nulls = array.logical_nulls();
    let is_null = |row: usize| nulls.as_ref().is_some_and(|b| b.is_null(row));
    // A null fails a required column; it passes every other rule of a nullable one.
    let checked = |verdicts: &[Verdict], row: usize| {
        matches!(verdicts[row], Verdict::Pending) && !is_null(row)
    };
    if c.required && nulls.is_some() {
        for row in 0..n {
            if is_null(row) {
                fail(verdicts, row, Failure::Null(ci));
            }
        }
    }
    match c.ty {
        LogicalType::Utf8 => {
            // Codes are matched exactly as the contract writes them (no case or space folding).
            if let Some(list) = c.codes {
                let values = array.as_string::<i32>();
                for row in 0..n {
                    if checked(verdicts, row) && !list.contains(&values.value(row)) {
                        fail(verdicts, row, Failure::Code(ci));
                    }
                }
            }
        }
        LogicalType::Float => {
            let values = array.as_primitive::<Float64Type>().values();
            for row in 0..n {
                if !checked(verdicts, row) {
                    continue;
                }
                let v = values[row];
                if !v.is_finite() {
                    fail(verdicts, row, Failure::NotFinite(ci));
                } else if c.non_negative && v < 0.0 {
                    fail(verdicts, row, Failure::Negative(ci));
                }
            }
        }
        LogicalType::Int => {
            let values = array.as_primitive::<Int64Type>().values();
            for row in 0..n {
                if !checked(verdicts, row) {
                    continue;
                }
                let v = values[row];
                if let Some((lo, hi)) = c.range {
                    if v < lo || v > hi {
                        fail(verdicts, row, Failure::Range(ci));
                    }
                } else if c.non_negative && v < 0 {
                    fail(verdicts, row, Failure::Negative(ci));
                }
            }
        }
        LogicalType::Date | LogicalType::Timestamp => {
            let days = Days::of(array);
            for row in 0..n {
                if checked(verdicts, row) {
                    let day = days.day(row);
                    if day < PLAUSIBLE_DAYS.0 || day > PLAUSIBLE_DAYS.1 {
                        fail(verdicts, row, Failure::Absurd(ci));
                    }
                }
            }
        }
        LogicalType::Bool => {}
    }
}

/// The last caisse looked up in the reference, and what the lookup gave.
#[derive(Clone, Copy)]
struct CaisseLookup<'a> {
    id: &'a str,
    index: Option<usize>,
}

/// The columns that identify a record (rule 5, and the key printed in the rejects).
pub(super) struct KeyColumns<'a> {
    pub caisses: &'a StringArray,
    pub record: RecordColumn<'a>,
}

/// The column that identifies a record within its caisse ([`RecordKey`]).
#[derive(Clone, Copy)]
pub(super) enum RecordColumn<'a> {
    /// The record id (`claim_id`, …).
    Id(&'a StringArray),
    /// `year`, for tables with one row per caisse and year.
    Year(&'a Int64Array),
}

impl<'a> KeyColumns<'a> {
    /// `caisse_id`, and the record id or, for tables with one row per caisse and year, `year`.
    pub(super) fn of(spec: &TableSpec, columns: &'a [ArrayRef]) -> Self {
        let caisses = columns[position(spec, "caisse_id")].as_string::<i32>();
        let record = match spec.key {
            RecordKey::Id(name) => {
                RecordColumn::Id(columns[position(spec, name)].as_string::<i32>())
            }
            RecordKey::CaisseYear => {
                RecordColumn::Year(columns[position(spec, "year")].as_primitive::<Int64Type>())
            }
        };
        Self { caisses, record }
    }
}

/// The hash of each accepted row's (caisse, record id) — (caisse, year) for tables with one row
/// per caisse and year — for the duplicate check (rule 5); 0 for rows already rejected.
/// Computed with the row rules, on every core; only the set inserts follow path order.
pub(super) fn record_keys(
    spec: &TableSpec,
    columns: &[ArrayRef],
    verdicts: &[Verdict],
) -> Vec<u128> {
    let KeyColumns { caisses, record } = KeyColumns::of(spec, columns);
    let mut key = Vec::with_capacity(64);
    verdicts
        .iter()
        .enumerate()
        .map(|(row, verdict)| {
            let Verdict::Accepted(_) = verdict else {
                return 0;
            };
            // (caisse, 0xFF, id): 0xFF never occurs in UTF-8, so the pair is unambiguous.
            key.clear();
            key.extend_from_slice(caisses.value(row).as_bytes());
            key.push(0xFF);
            match record {
                RecordColumn::Id(ids) => key.extend_from_slice(ids.value(row).as_bytes()),
                RecordColumn::Year(years) => key.extend_from_slice(&years.value(row).to_le_bytes()),
            }
            xxhash_rust::xxh3::xxh3_128(&key)
        })
        .collect()
}

/// The reject of `row` (0-based in a batch whose first row is number `first_row` of `file_name`)
/// for `failure`: where it was, its key, the column at fault and the reason — never the
/// row's other values (no personal identifier reaches an output).
pub(super) fn reject(
    spec: &'static TableSpec,
    file_name: &str,
    first_row: u64,
    row: usize,
    failure: Failure,
    columns: &[ArrayRef],
    keys: &KeyColumns,
) -> Reject {
    let caisses = keys.caisses;
    let Fault { column, reason } = fault(spec, failure, columns, row, caisses);
    let record_key = match keys.record {
        RecordColumn::Id(k) if k.is_valid(row) => Some(clip(k.value(row))),
        RecordColumn::Year(y) if y.is_valid(row) => Some(y.value(row).to_string()),
        _ => None,
    };
    Reject {
        table: spec.name,
        source_file: file_name.to_string(),
        row_number: (first_row + row as u64) as i64,
        caisse_id: caisses.is_valid(row).then(|| clip(caisses.value(row))),
        record_key,
        column: column.map(str::to_string),
        reason,
    }
}

/// Why a row was rejected, as the rejects print it.
struct Fault {
    /// The column at fault.
    column: Option<&'static str>,
    reason: String,
}

/// The column at fault and the reason of a failed row, as the rejects print them.
fn fault(
    spec: &TableSpec,
    failure: Failure,
    columns: &[ArrayRef],
    row: usize,
    caisses: &StringArray,
) -> Fault {
    let column = |ci: usize| &spec.columns[ci];
    let (column, reason) = match failure {
        Failure::Unfit(ci) => (
            Some(column(ci).name),
            format!(
                "value out of the range of {}",
                column(ci).ty.contract_name()
            ),
        ),
        Failure::Null(ci) => (Some(column(ci).name), "null in a non-null column".into()),
        Failure::Code(ci) => {
            let c = column(ci);
            let v = columns[ci].as_string::<i32>().value(row);
            let list = c.codes.unwrap_or_default().join(", ");
            (
                Some(c.name),
                format!("unknown code '{}' (expected one of: {list})", clip(v)),
            )
        }
        Failure::NotFinite(ci) => {
            let v = columns[ci].as_primitive::<Float64Type>().value(row);
            (Some(column(ci).name), format!("not a finite number ({v})"))
        }
        Failure::Negative(ci) => {
            let v = match column(ci).ty {
                LogicalType::Int => columns[ci]
                    .as_primitive::<Int64Type>()
                    .value(row)
                    .to_string(),
                _ => columns[ci]
                    .as_primitive::<Float64Type>()
                    .value(row)
                    .to_string(),
            };
            (Some(column(ci).name), format!("negative value {v}"))
        }
        Failure::Range(ci) => {
            let c = column(ci);
            let v = columns[ci].as_primitive::<Int64Type>().value(row);
            let (lo, hi) = c.range.expect("a range rule");
            (Some(c.name), format!("value {v} outside {lo}..{hi}"))
        }
        Failure::Absurd(ci) => {
            let day = Days::of(&columns[ci]).day(row);
            let date = crate::calendar::try_to_date(day).map_or_else(
                || format!("of day {day} from 1970-01-01"),
                |d| d.to_string(),
            );
            (
                Some(column(ci).name),
                format!("absurd date {date} (accepted: 1950-01-01 to 2099-12-31)"),
            )
        }
        Failure::Order(oi) => {
            let order = &spec.date_orders[oi];
            (
                Some(order.later),
                format!("{} is before {}", order.later, order.earlier),
            )
        }
        Failure::UnknownCaisse => (
            Some("caisse_id"),
            format!(
                "unknown caisse '{}' (not in reference/caisses)",
                clip(caisses.value(row))
            ),
        ),
        Failure::Duplicate => {
            let what = match spec.key {
                RecordKey::Id(name) => name,
                RecordKey::CaisseYear => "year",
            };
            (
                Some(what),
                format!(
                    "duplicate {what} within caisse {} (the first occurrence is kept)",
                    clip(caisses.value(row))
                ),
            )
        }
    };
    Fault { column, reason }
}

/// Values echoed in messages are cut at 64 characters (a 1 MB string stays out of rejects).
fn clip(s: &str) -> String {
    if s.chars().count() <= 64 {
        s.to_string()
    } else {
        let cut: String = s.chars().take(64).collect();
        format!("{cut}…")
    }
}

/// The index of contract column `name` in `spec`'s columns.
fn position(spec: &TableSpec, name: &str) -> usize {
    spec.columns
        .iter()
        .position(|c| c.name == name)
        .unwrap_or_else(|| panic!("the contract has {name}"))
}

/// A date or timestamp column, read as days or instants without a downcast per row.
enum Days<'a> {
    Date(&'a [i32]),
    Micros(&'a [i64]),
}

impl<'a> Days<'a> {
    fn of(array: &'a ArrayRef) -> Self {
        match array.data_type() {
            DataType::Date32 => Days::Date(array.as_primitive::<Date32Type>().values()),
            _ => Days::Micros(array.as_primitive::<TimestampMicrosecondType>().values()),
        }
    }

    fn day(&self, row: usize) -> i32 {
        match self {
            Days::Date(v) => v[row],
            Days::Micros(v) => v[row].div_euclid(MICROS_PER_DAY) as i32,
        }
    }

    /// Comparable instant (microseconds).
    fn instant(&self, row: usize) -> i64 {
        match self {
            Days::Date(v) => i64::from(v[row]) * MICROS_PER_DAY,
            Days::Micros(v) => v[row],
        }
    }
}
