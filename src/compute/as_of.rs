//! The as-of date A of each caisse and table (indicators-v2 §1.1, §9.1): the date up to which
//! the extracts are complete, which decides pending records and provisional periods.
//!
//! - `--as-of DATE` (the run's option) is A for every caisse and table;
//! - else the reference's `extract_date` of the caisse, for every table;
//! - else, per caisse **and** per table, the latest event date of the caisse's accepted rows
//!   (`crate::ingest::latest`). A table without event columns (the yearly tables), or without
//!   a row of the caisse, then has no A: no pending record, no provisional flag, no cut.
//!
//! The budget tables (`contract::NEVER_CUT`) have no A whatever its source (§9.2).

use std::collections::BTreeMap;

use crate::calendar;
use crate::contract;
use crate::ingest::Reference;

/// Where a caisse's as-of date comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AsOfSource {
    /// `reference/caisses.extract_date`.
    Given,
    /// The latest event date of the table's rows.
    Derived,
    /// `--as-of`.
    Option,
}

impl AsOfSource {
    pub fn as_str(self) -> &'static str {
        match self {
            AsOfSource::Given => "given",
            AsOfSource::Derived => "derived",
            AsOfSource::Option => "option",
        }
    }
}

/// The as-of dates of one table, by caisse position in the reference (Date32 days).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableAsOf(pub Vec<Option<(i32, AsOfSource)>>);

impl TableAsOf {
    /// A of the caisse at `position`, if any.
    pub fn date(&self, position: usize) -> Option<i32> {
        self.0.get(position).copied().flatten().map(|(d, _)| d)
    }

    /// No as-of date for any caisse.
    pub fn none() -> Self {
        Self::default()
    }
}

/// Resolves A for each caisse of `reference` in `table`, given the `--as-of` option and the
/// latest event day of each caisse's rows in the table.
pub fn resolve(
    table: &str,
    reference: &Reference,
    option: Option<i32>,
    latest: &[Option<i32>],
) -> TableAsOf {
    if contract::NEVER_CUT.contains(&table) {
        return TableAsOf::none();
    }
    TableAsOf(
        reference
            .caisses
            .iter()
            .enumerate()
            .map(|(i, c)| match (option, c.extract_date) {
                (Some(d), _) => Some((d, AsOfSource::Option)),
                (None, Some(d)) => Some((d, AsOfSource::Given)),
                (None, None) => latest
                    .get(i)
                    .copied()
                    .flatten()
                    .map(|d| (d, AsOfSource::Derived)),
            })
            .collect(),
    )
}

/// The as-of date(s) of one caisse, for the manifest: one date for every table when it is
/// given or an option, else the derived date of each table that has one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CaisseAsOf {
    pub caisse_id: String,
    /// `given` (reference `extract_date`), `derived` (latest event date, per table) or
    /// `option` (`--as-of`).
    pub source: &'static str,
    /// The date for every table (given or option), `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The derived date of each table read that has one.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tables: BTreeMap<String, String>,
}

/// The manifest's list: every caisse of the reference with an as-of date in some table read,
/// by `caisse_id`.
pub fn summary(reference: &Reference, tables: &[(&str, &TableAsOf)]) -> Vec<CaisseAsOf> {
    let text = |d: i32| calendar::to_date(d).to_string();
    let mut out = Vec::new();
    for (i, caisse) in reference.caisses.iter().enumerate() {
        let mut entry: Option<CaisseAsOf> = None;
        for (table, as_of) in tables {
            let Some((date, source)) = as_of.0.get(i).copied().flatten() else {
                continue;
            };
            let e = entry.get_or_insert_with(|| CaisseAsOf {
                caisse_id: caisse.caisse_id.clone(),
                source: source.as_str(),
                date: None,
                tables: BTreeMap::new(),
            });
            match source {
                AsOfSource::Derived => {
                    e.tables.insert(table.to_string(), text(date));
                }
                AsOfSource::Given | AsOfSource::Option => e.date = Some(text(date)),
            }
        }
        out.extend(entry);
    }
    out
}

/// First and last day of a period `yyyymm` (month 0: the year), as Date32 days.
pub fn period_bounds(year: i32, month: Option<i32>) -> (i32, i32) {
    match month {
        Some(m) => {
            let first = calendar::ymd(year, m as u32, 1);
            (first, calendar::end_of_next_month(first - 1))
        }
        None => (calendar::ymd(year, 1, 1), calendar::ymd(year, 12, 31)),
    }
}

/// What A decides about a period of a caisse: whether it has a value at all (it starts on or
/// before A), and whether that value is provisional (it ends after A). Without A: produced,
/// final.
pub fn period_status(as_of: Option<i32>, year: i32, month: Option<i32>) -> (bool, bool) {
    match as_of {
        None => (true, false),
        Some(a) => {
            let (first, last) = period_bounds(year, month);
            (first <= a, last > a)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::ymd;
    use crate::ingest::Caisse;

    fn reference(dates: &[Option<i32>]) -> Reference {
        let caisses = dates
            .iter()
            .enumerate()
            .map(|(i, d)| Caisse {
                caisse_id: format!("C{i}"),
                name: format!("c{i}"),
                organism: "X".into(),
                region: None,
                alsace_moselle: false,
                extract_date: *d,
            })
            .collect();
        Reference::new(caisses, "caisses.csv".into()).unwrap()
    }

    #[test]
    fn option_over_given_over_derived() {
        let given = ymd(2026, 5, 27);
        let r = reference(&[Some(given), None, None]);
        let latest = [Some(ymd(2026, 5, 31)), Some(ymd(2026, 5, 30)), None];
        let a = resolve("reclamations", &r, None, &latest);
        assert_eq!(
            a.0,
            vec![
                Some((given, AsOfSource::Given)),
                Some((ymd(2026, 5, 30), AsOfSource::Derived)),
                None // no row of C2 in the table: no A
            ]
        );
        // A yearly table (no event column, no latest day): A only where it is given.
        let yearly = resolve("staff", &r, None, &[None, None, None]);
        assert_eq!(yearly.0, vec![Some((given, AsOfSource::Given)), None, None]);
        let option = ymd(2026, 1, 31);
        let forced = resolve("reclamations", &r, Some(option), &latest);
        assert!(
            forced
                .0
                .iter()
                .all(|a| *a == Some((option, AsOfSource::Option)))
        );
        // Budgets are never cut.
        assert_eq!(
            resolve("budget", &r, Some(option), &latest),
            TableAsOf::none()
        );
        assert_eq!(TableAsOf::none().date(0), None);
    }

    #[test]
    fn manifest_summary() {
        let r = reference(&[Some(ymd(2026, 5, 27)), None]);
        let recl = resolve("reclamations", &r, None, &[None, Some(ymd(2026, 5, 30))]);
        let emails = resolve("emails", &r, None, &[None, Some(ymd(2026, 5, 29))]);
        let s = summary(&r, &[("reclamations", &recl), ("emails", &emails)]);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].source, "given");
        assert_eq!(s[0].date.as_deref(), Some("2026-05-27"));
        assert!(s[0].tables.is_empty());
        assert_eq!(s[1].source, "derived");
        assert_eq!(s[1].date, None);
        assert_eq!(s[1].tables["emails"], "2026-05-29");
        assert_eq!(s[1].tables["reclamations"], "2026-05-30");
    }

    #[test]
    fn periods_cut_and_provisional() {
        let a = Some(ymd(2026, 5, 27));
        // May 2026 contains A: produced, provisional; June starts after A: no value; April
        // ends before A: final. The year 2026: produced, provisional; 2025 final; 2027 cut.
        assert_eq!(period_status(a, 2026, Some(5)), (true, true));
        assert_eq!(period_status(a, 2026, Some(6)), (false, true));
        assert_eq!(period_status(a, 2026, Some(4)), (true, false));
        assert_eq!(period_status(a, 2026, None), (true, true));
        assert_eq!(period_status(a, 2025, None), (true, false));
        assert_eq!(period_status(a, 2027, None), (false, true));
        // A on the last day of the month: the month is final.
        assert_eq!(
            period_status(Some(ymd(2024, 2, 29)), 2024, Some(2)),
            (true, false)
        );
        assert_eq!(
            period_status(Some(ymd(2024, 12, 31)), 2024, None),
            (true, false)
        );
        // On the first day: produced, provisional.
        assert_eq!(
            period_status(Some(ymd(2024, 3, 1)), 2024, Some(3)),
            (true, true)
        );
        assert_eq!(period_status(None, 2099, Some(1)), (true, false));
        assert_eq!(
            period_bounds(2024, Some(2)),
            (ymd(2024, 2, 1), ymd(2024, 2, 29))
        );
    }
}
