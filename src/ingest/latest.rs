//! The latest event date of each caisse in one table: the default as-of date of the table
//! (indicators-v2 §9.1), found in the one scan.
//!
//! The sequential step of the checks (`super::validator`) gives every accepted row's latest
//! event day — the greatest of the table's event columns (`contract::EVENT_COLUMNS`), a
//! timestamp by its date — to its caisse. Each caisse keeps its [`KEPT`] latest distinct days
//! with their row counts (a few compares per row): the latest is exact, and stays exact when
//! the deferred duplicate check of a large table takes rows out again afterwards, unless
//! every row of those [`KEPT`] days was a duplicate (then the latest day seen is kept, and the
//! table warns).

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{DataType, Date32Type, TimeUnit, TimestampMicrosecondType};

use crate::contract::{self, TableSpec};

/// Distinct days kept per caisse.
const KEPT: usize = 16;

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// A row without any event date.
const NO_DAY: i32 = i32::MIN;

/// The latest days of one caisse, latest first, with their rows.
#[derive(Debug, Clone, Default)]
struct Latest {
    days: Vec<(i32, u64)>,
    /// The latest day ever added (the fallback when duplicates took out every kept day).
    seen: Option<i32>,
}

impl Latest {
    fn add(&mut self, day: i32) {
        // Most rows are older than the KEPT latest days: one compare, and `seen` (the latest
        // day ever added) is already later.
        if self.days.len() == KEPT && day < self.days[KEPT - 1].0 {
            return;
        }
        self.seen = Some(self.seen.map_or(day, |s| s.max(day)));
        match self.days.binary_search_by(|(d, _)| day.cmp(d)) {
            Ok(i) => self.days[i].1 += 1,
            Err(i) if i < KEPT => {
                self.days.insert(i, (day, 1));
                self.days.truncate(KEPT);
            }
            Err(_) => {} // earlier than every kept day
        }
    }

    fn remove(&mut self, day: i32) {
        if let Ok(i) = self.days.binary_search_by(|(d, _)| day.cmp(d)) {
            self.days[i].1 -= 1;
            if self.days[i].1 == 0 {
                self.days.remove(i);
            }
        }
    }
}

/// The latest event day of each caisse of the reference in one table (see the module).
#[derive(Debug, Clone, Default)]
pub struct LatestEvents {
    /// Positions of the event columns among the contract's columns.
    columns: Vec<usize>,
    caisses: Vec<Latest>,
}

impl LatestEvents {
    pub(super) fn new(spec: &TableSpec, caisses: usize) -> Self {
        let columns = contract::event_columns(spec.name)
            .iter()
            .filter_map(|name| spec.columns.iter().position(|c| c.name == *name))
            .collect();
        Self {
            columns,
            caisses: vec![Latest::default(); caisses],
        }
    }

    /// The latest event day of every row of a batch (of its canonical `columns`), computed
    /// column by column; [`NO_DAY`] where every event column is null. `None` for a table
    /// without event columns.
    pub(super) fn batch_days(&self, columns: &[ArrayRef]) -> Option<Vec<i32>> {
        if self.columns.is_empty() {
            return None;
        }
        let n = columns.first().map_or(0, |c| c.len());
        let mut out = vec![NO_DAY; n];
        for &c in &self.columns {
            let array = &columns[c];
            match array.data_type() {
                DataType::Date32 => {
                    let dates = array.as_primitive::<Date32Type>();
                    for (row, slot) in out.iter_mut().enumerate() {
                        if dates.is_valid(row) {
                            *slot = (*slot).max(dates.value(row));
                        }
                    }
                }
                DataType::Timestamp(TimeUnit::Microsecond, None) => {
                    let stamps = array.as_primitive::<TimestampMicrosecondType>();
                    for (row, slot) in out.iter_mut().enumerate() {
                        if stamps.is_valid(row)
                            && let Ok(day) =
                                i32::try_from(stamps.value(row).div_euclid(MICROS_PER_DAY))
                        {
                            *slot = (*slot).max(day);
                        }
                    }
                }
                _ => {}
            }
        }
        Some(out)
    }

    /// An accepted row of caisse `caisse` (reference position) whose latest event day is `day`
    /// (from [`Self::batch_days`]).
    pub(super) fn add(&mut self, caisse: usize, day: i32) {
        if day != NO_DAY {
            self.caisses[caisse].add(day);
        }
    }

    /// A row accepted earlier and rejected afterwards (a deferred duplicate).
    pub(super) fn remove(&mut self, caisse: usize, day: i32) {
        if day != NO_DAY {
            self.caisses[caisse].remove(day);
        }
    }

    /// The latest event day of each caisse (by reference position), and the caisses whose
    /// latest day could not be told exactly (see the module).
    pub fn result(&self) -> (Vec<Option<i32>>, Vec<usize>) {
        let mut inexact = Vec::new();
        let days = self
            .caisses
            .iter()
            .enumerate()
            .map(|(i, l)| match (l.days.first(), l.seen) {
                (Some((day, _)), _) => Some(*day),
                (None, Some(seen)) => {
                    inexact.push(i);
                    Some(seen)
                }
                (None, None) => None,
            })
            .collect();
        (days, inexact)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{StringArray, TimestampMicrosecondArray};

    use super::*;
    use crate::calendar::ymd;

    #[test]
    fn latest_event_day_per_caisse_over_dates_and_timestamps() {
        let spec = contract::table("emails").unwrap();
        let mut latest = LatestEvents::new(spec, 2);
        assert_eq!(latest.columns.len(), 2);
        let at = |y, m, d, h: i64| i64::from(ymd(y, m, d)) * MICROS_PER_DAY + h * 3_600_000_000;
        // Columns in contract order: email_id, caisse_id, received_at, first_response_at, is_spam.
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(vec!["1", "2", "3"])),
            Arc::new(StringArray::from(vec!["A", "A", "B"])),
            Arc::new(TimestampMicrosecondArray::from(vec![
                at(2024, 3, 29, 10),
                at(2024, 3, 30, 23),
                at(2024, 3, 1, 0),
            ])),
            Arc::new(TimestampMicrosecondArray::from(vec![
                Some(at(2024, 3, 31, 1)),
                None,
                None,
            ])),
            Arc::new(datafusion::arrow::array::BooleanArray::from(vec![
                false, false, false,
            ])),
        ];
        let days = latest.batch_days(&columns).unwrap();
        // Row 1: answered 31 March 01:00 → 31 March; row 2: received 30 March 23:00 → 30 March.
        assert_eq!(
            days,
            vec![ymd(2024, 3, 31), ymd(2024, 3, 30), ymd(2024, 3, 1)]
        );
        for (caisse, day) in [0, 0, 1].into_iter().zip(days) {
            latest.add(caisse, day);
        }
        assert_eq!(
            latest.result(),
            (vec![Some(ymd(2024, 3, 31)), Some(ymd(2024, 3, 1))], vec![])
        );
        // A deferred duplicate of 31 March taken out: A's latest is 30 March.
        latest.remove(0, ymd(2024, 3, 31));
        assert_eq!(latest.result().0[0], Some(ymd(2024, 3, 30)));
    }

    #[test]
    fn kept_days_and_the_fallback() {
        let mut l = Latest::default();
        for day in (0..40).rev() {
            l.add(day);
        }
        l.add(39);
        assert_eq!(l.days.len(), KEPT);
        assert_eq!(l.days[0], (39, 2));
        assert_eq!(l.days[KEPT - 1].0, 40 - KEPT as i32);
        l.add(3); // earlier than every kept day: not kept
        assert_eq!(l.days.len(), KEPT);
        l.remove(39);
        assert_eq!(l.days[0], (39, 1));
        for day in (40 - KEPT as i32..40).rev() {
            l.remove(day);
        }
        let events = LatestEvents {
            columns: vec![0],
            caisses: vec![l, Latest::default()],
        };
        assert_eq!(events.result(), (vec![Some(39), None], vec![0]));
    }

    #[test]
    fn tables_without_event_columns_have_no_latest_day() {
        let spec = contract::table("staff").unwrap();
        let latest = LatestEvents::new(spec, 1);
        let columns: Vec<ArrayRef> = vec![Arc::new(StringArray::from(vec!["C1"]))];
        assert_eq!(latest.batch_days(&columns), None);
        assert_eq!(latest.result(), (vec![None], vec![]));
    }

    #[test]
    fn every_event_column_of_the_contract_is_a_date_or_a_timestamp() {
        for spec in contract::TABLES {
            for name in contract::event_columns(spec.name) {
                if let Some(c) = spec.column(name) {
                    assert!(
                        matches!(
                            c.ty,
                            contract::LogicalType::Date | contract::LogicalType::Timestamp
                        ),
                        "{}.{name}",
                        spec.name
                    );
                }
            }
        }
    }
}
