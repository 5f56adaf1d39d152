//! Indicator test cases as data (issue #16): `pipelines/cases/<table>.toml` holds, beside the
//! definitions of `pipelines/<table>.toml`, small input rows and the values a statistician
//! computed by hand from them. The format is described in docs/indicators.md, "Test cases".
//!
//! - `every_case_holds` builds each case's input (caisse reference + one Parquet file per table,
//!   columns typed by the contract), computes it with the real catalogue of `pipelines/` and
//!   confidentiality off, and reports every failing expectation of every file in one message.
//!   `PARANGON_CASES=<text>` keeps the files and cases whose file name or case name contain it.
//! - `every_definition_has_a_case` checks that each id × definition of the catalogue has at
//!   least one expected value, that every expectation names a real one, and that every case
//!   cites its source.
//! - The self-tests check that the runner does fail on a wrong value, a missing or unwanted
//!   cell, a wrong count, a typo in a key or a column.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};
use parangon::arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Float64Array, Int64Array, StringArray,
    TimestampMicrosecondArray,
};
use parangon::contract::{self, ColumnSpec, LogicalType};
use parangon::model::Catalogue;
use parangon::model::{IndicatorValue, Level};
use serde::Deserialize;

use crate::common::{Computed, Fixture, pipelines};

/// One `pipelines/cases/<table>.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    /// The definitions file these cases test (`pipelines/<table>.toml`).
    pub table: String,
    #[serde(default)]
    pub case: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Unique within the file.
    pub name: String,
    /// Document file name + indicator number (+ the quoted line).
    pub source: String,
    /// The hand computation (for the reader; the runner does not use it).
    #[serde(default)]
    #[allow(dead_code)]
    pub note: Option<String>,
    /// The caisse reference (caisses.csv) of the case.
    pub caisses: Vec<CaisseRow>,
    /// Input rows per contract table.
    #[serde(default)]
    pub rows: BTreeMap<String, Vec<toml::Table>>,
    #[serde(default)]
    pub expect: Vec<Expect>,
    /// Rows each table must send to rejects.
    #[serde(default)]
    pub rejected: BTreeMap<String, u64>,
    /// `--as-of` of the run, `YYYY-MM-DD` (default: none; the reference's `extract_date` or
    /// the dates derived from the rows).
    pub as_of: Option<toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaisseRow {
    pub caisse_id: String,
    pub organism: String,
    #[serde(default)]
    pub alsace_moselle: bool,
    /// `extract_date` of the reference, `YYYY-MM-DD`.
    pub extract_date: Option<toml::Value>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LevelName {
    Caisse,
    Organism,
    National,
}

impl LevelName {
    fn level(self) -> Level {
        match self {
            LevelName::Caisse => Level::Caisse,
            LevelName::Organism => Level::Organism,
            LevelName::National => Level::National,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub indicator: String,
    #[serde(default = "bench")]
    pub definition: String,
    pub level: LevelName,
    /// caisse_id at caisse level, organism at organism level; omitted at national level.
    pub entity: Option<String>,
    /// `YYYY-MM` or `YYYY`.
    pub period: String,
    pub dimension_value: Option<String>,
    /// The breakdown of `dimension_value` (`branch`), for an indicator with several
    /// (`dimensions`); optional.
    pub dimension: Option<String>,
    pub value: Option<f64>,
    pub n_records: Option<i64>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    /// Records left out as pending at the as-of date (indicators-v2 §1.1).
    pub n_pending: Option<i64>,
    /// Whether the period ends after the as-of date of a caisse it covers.
    pub provisional: Option<bool>,
    /// The cell must not exist.
    #[serde(default)]
    pub absent: bool,
}

fn bench() -> String {
    "bench".to_string()
}

impl Expect {
    /// `claims_fse_delay_mean [bench] caisse CPAM-A 2024-03` (+ ` maladie` for a breakdown).
    fn cell(&self) -> String {
        let level = match self.level {
            LevelName::Caisse => "caisse",
            LevelName::Organism => "organism",
            LevelName::National => "national",
        };
        let mut s = format!("{} [{}] {level}", self.indicator, self.definition);
        if let Some(entity) = &self.entity {
            s.push_str(&format!(" {entity}"));
        }
        s.push_str(&format!(" {}", self.period));
        if let Some(d) = &self.dimension {
            s.push_str(&format!(" {d}:"));
        }
        if let Some(d) = &self.dimension_value {
            s.push_str(&format!(" {d}"));
        }
        s
    }

    /// What the format forbids in one expectation, before anything runs.
    fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        match (self.level, &self.entity) {
            (LevelName::National, Some(_)) => {
                out.push("`entity` is omitted at national level".into())
            }
            (LevelName::Caisse | LevelName::Organism, None) => {
                out.push("`entity` is required (caisse_id or organism)".into())
            }
            _ => {}
        }
        let p = self.period.as_bytes();
        let digits = |r: std::ops::Range<usize>| p[r].iter().all(u8::is_ascii_digit);
        let month_ok = p.len() == 7
            && digits(0..4)
            && p[4] == b'-'
            && digits(5..7)
            && (1..=12).contains(&self.period[5..7].parse::<u32>().unwrap_or(0));
        if !(p.len() == 4 && digits(0..4) || month_ok) {
            out.push(format!(
                "period \"{}\": \"YYYY-MM\" or \"YYYY\"",
                self.period
            ));
        }
        let has_figures = self.value.is_some()
            || self.n_records.is_some()
            || self.numerator.is_some()
            || self.denominator.is_some()
            || self.n_pending.is_some()
            || self.provisional.is_some();
        if self.dimension.is_some() && self.dimension_value.is_none() {
            out.push("`dimension` needs a `dimension_value`".into());
        }
        if self.absent && has_figures {
            out.push(
                "`absent = true` takes no value, n_records, numerator, denominator, n_pending or provisional"
                    .into(),
            );
        }
        if !self.absent && self.value.is_none() {
            out.push("`value` is required (or `absent = true`)".into());
        }
        out
    }

    /// The cells of `out` this expectation designates (normally 0 or 1).
    fn find<'a>(&self, out: &'a Computed) -> Vec<&'a IndicatorValue> {
        let level = self.level.level();
        out.values
            .iter()
            .filter(|v| {
                v.indicator_id == self.indicator
                    && v.definition == self.definition
                    && v.level == level
                    && match level {
                        Level::Caisse => v.caisse_id.as_deref() == self.entity.as_deref(),
                        Level::Organism => v.organism.as_deref() == self.entity.as_deref(),
                        Level::National => true,
                    }
                    && v.dimension_value.as_deref() == self.dimension_value.as_deref()
                    && self
                        .dimension
                        .as_ref()
                        .is_none_or(|d| v.dimension.as_deref() == Some(d.as_str()))
                    && v.period() == self.period
            })
            .collect()
    }
}

/// Parses a case file; `label` names it in messages.
pub fn parse(label: &str, text: &str) -> Result<CaseFile, String> {
    toml::from_str(text).map_err(|e| format!("{label}: {e}"))
}

/// Every `pipelines/cases/*.toml`, sorted, with its label (`pipelines/cases/claims.toml`).
pub fn case_files() -> Vec<(String, PathBuf)> {
    let dir = pipelines().join("cases");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let label = format!(
                "pipelines/cases/{}",
                p.file_name().unwrap().to_string_lossy()
            );
            (label, p)
        })
        .collect()
}

fn value_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    }
}

/// A date or timestamp given as a string, or as a TOML local date / local date-time.
fn when_text(v: &toml::Value) -> Option<String> {
    match v {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Datetime(d) if d.offset.is_none() => Some(d.to_string()),
        _ => None,
    }
}

fn parse_date(v: &toml::Value) -> Option<i32> {
    let s = when_text(v)?;
    let d = NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok()?;
    Some(parangon::calendar::from_date(d))
}

fn parse_stamp(v: &toml::Value) -> Option<i64> {
    let s = when_text(v)?;
    [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(&s, f).ok())
    .map(|t| t.and_utc().timestamp_micros())
}

/// One column of the rows, typed by the contract; `Err` names the first bad cell.
fn column(col: &ColumnSpec, rows: &[toml::Table]) -> Result<ArrayRef, String> {
    let cells: Vec<Option<&toml::Value>> = rows.iter().map(|r| r.get(col.name)).collect();
    fn typed<T>(
        col: &ColumnSpec,
        cells: &[Option<&toml::Value>],
        expected: &str,
        f: impl Fn(&toml::Value) -> Option<T>,
    ) -> Result<Vec<Option<T>>, String> {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| match c {
                None => Ok(None),
                Some(v) => f(v).map(Some).ok_or_else(|| {
                    format!(
                        "row {}, column {}: expected {expected}, got {}",
                        i + 1,
                        col.name,
                        value_text(v)
                    )
                }),
            })
            .collect()
    }
    Ok(match col.ty {
        LogicalType::Utf8 => Arc::new(StringArray::from(typed(col, &cells, "a string", |v| {
            v.as_str().map(str::to_string)
        })?)),
        LogicalType::Date => Arc::new(Date32Array::from(typed(
            col,
            &cells,
            "a date \"YYYY-MM-DD\"",
            parse_date,
        )?)),
        LogicalType::Timestamp => Arc::new(TimestampMicrosecondArray::from(typed(
            col,
            &cells,
            "a timestamp \"YYYY-MM-DD HH:MM[:SS]\"",
            parse_stamp,
        )?)),
        LogicalType::Int => Arc::new(Int64Array::from(typed(col, &cells, "an integer", |v| {
            v.as_integer()
        })?)),
        LogicalType::Float => Arc::new(Float64Array::from(typed(
            col,
            &cells,
            "a number",
            |v| match v {
                toml::Value::Float(x) => Some(*x),
                toml::Value::Integer(i) => Some(*i as f64),
                _ => None,
            },
        )?)),
        LogicalType::Bool => Arc::new(BooleanArray::from(typed(
            col,
            &cells,
            "true or false",
            toml::Value::as_bool,
        )?)),
    })
}

/// The columns of one table's rows: every contract column some row gives (all of them when
/// there is no row), in contract order.
fn columns(table: &str, rows: &[toml::Table]) -> Result<Vec<(&'static str, ArrayRef)>, String> {
    let spec = contract::table(table).ok_or_else(|| {
        format!(
            "rows of an unknown table '{table}' (the contract's tables: {})",
            contract::TABLES
                .iter()
                .map(|t| t.name)
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    for (i, row) in rows.iter().enumerate() {
        for key in row.keys() {
            if spec.column(key).is_none() {
                return Err(format!(
                    "{table} row {}: unknown column '{key}' (the contract's columns: {})",
                    i + 1,
                    spec.columns
                        .iter()
                        .map(|c| c.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
    }
    spec.columns
        .iter()
        .filter(|c| rows.is_empty() || rows.iter().any(|r| r.contains_key(c.name)))
        .map(|c| {
            column(c, rows)
                .map(|a| (c.name, a))
                .map_err(|e| format!("{table} {e}"))
        })
        .collect()
}

/// A date of the case (`as_of`, `extract_date`), `Err` naming it when it is not one.
fn case_date(what: &str, v: &toml::Value) -> Result<i32, String> {
    parse_date(v).ok_or_else(|| {
        format!(
            "{what}: expected a date \"YYYY-MM-DD\", got {}",
            value_text(v)
        )
    })
}

/// Writes the case's reference and tables and computes them with the catalogue of `pipelines/`.
pub async fn compute_case(case: &Case) -> Result<Computed, String> {
    let reference: Vec<(&str, &str, bool)> = case
        .caisses
        .iter()
        .map(|c| (c.caisse_id.as_str(), c.organism.as_str(), c.alsace_moselle))
        .collect();
    let fixture = Fixture::new(&reference);
    if case.caisses.iter().any(|c| c.extract_date.is_some()) {
        let caisses = case
            .caisses
            .iter()
            .map(|c| {
                Ok(parangon::ingest::Caisse {
                    caisse_id: c.caisse_id.clone(),
                    name: format!("Caisse {}", c.caisse_id),
                    organism: c.organism.clone(),
                    region: None,
                    alsace_moselle: c.alsace_moselle,
                    extract_date: c
                        .extract_date
                        .as_ref()
                        .map(|d| case_date(&format!("caisse {} extract_date", c.caisse_id), d))
                        .transpose()?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        std::fs::write(
            fixture.path().join("reference/caisses.csv"),
            parangon::ingest::reference::to_csv(&caisses),
        )
        .map_err(|e| e.to_string())?;
    }
    for (table, rows) in &case.rows {
        let cols = columns(table, rows)?;
        fixture.table(table, "part-0.parquet", cols);
    }
    let options = parangon::compute::ComputeOptions {
        as_of: case
            .as_of
            .as_ref()
            .map(|d| case_date("as_of", d))
            .transpose()?,
        ..Default::default()
    };
    fixture.try_compute_with(options, 0).await
}

fn show(x: Option<f64>) -> String {
    x.map_or("none".to_string(), |x| x.to_string())
}

fn near(got: f64, expected: f64) -> bool {
    (got - expected).abs() <= 1e-9 * expected.abs().max(1.0)
}

/// The failing expectations of one computed case, one line each (without the file and case).
pub fn check(case: &Case, out: &Computed, catalogue: Option<&Catalogue>) -> Vec<String> {
    let mut failures = Vec::new();
    for e in &case.expect {
        let problems = e.problems();
        if !problems.is_empty() {
            failures.push(format!("{}: {}", e.cell(), problems.join("; ")));
            continue;
        }
        let cells = e.find(out);
        let unknown = catalogue.is_some_and(|c| {
            !c.indicators
                .iter()
                .any(|i| i.id == e.indicator && i.definition == e.definition)
        });
        let cell = match (e.absent, cells.as_slice()) {
            (true, []) => continue,
            (true, [v, ..]) => {
                failures.push(format!(
                    "{}: expected no value, got {} (n_records {})",
                    e.cell(),
                    v.value,
                    v.n_records
                ));
                continue;
            }
            (false, []) => {
                let hint = if unknown {
                    " (pipelines/ has no such indicator and definition)"
                } else {
                    ""
                };
                failures.push(format!(
                    "{}: expected value {}, got no value{hint}",
                    e.cell(),
                    show(e.value)
                ));
                continue;
            }
            (false, [v]) => *v,
            (false, many) => {
                failures.push(format!("{}: {} cells match", e.cell(), many.len()));
                continue;
            }
        };
        let mut wrong = Vec::new();
        if let Some(x) = e.value
            && !near(cell.value, x)
        {
            wrong.push(format!("value {x}, got {}", cell.value));
        }
        if let Some(n) = e.n_records
            && cell.n_records != n
        {
            wrong.push(format!("n_records {n}, got {}", cell.n_records));
        }
        if let Some(x) = e.numerator
            && !cell.numerator.is_some_and(|g| near(g, x))
        {
            wrong.push(format!("numerator {x}, got {}", show(cell.numerator)));
        }
        if let Some(x) = e.denominator
            && !cell.denominator.is_some_and(|g| near(g, x))
        {
            wrong.push(format!("denominator {x}, got {}", show(cell.denominator)));
        }
        if let Some(n) = e.n_pending
            && cell.n_pending != Some(n)
        {
            let got = cell.n_pending.map_or("none".to_string(), |g| g.to_string());
            wrong.push(format!("n_pending {n}, got {got}"));
        }
        if let Some(p) = e.provisional
            && cell.provisional != p
        {
            wrong.push(format!("provisional {p}, got {}", cell.provisional));
        }
        if !wrong.is_empty() {
            failures.push(format!(
                "{}: expected {}",
                e.cell(),
                wrong.join("; expected ")
            ));
        }
    }
    for (table, n) in &case.rejected {
        let got = out
            .tables
            .iter()
            .find(|t| t.table == table.as_str())
            .map_or(0, |t| t.counts.rows_rejected);
        if got != *n {
            failures.push(format!("{table}: expected {n} rows rejected, got {got}"));
        }
    }
    failures
}

/// Runs every case of one parsed file (those `only` selects): the number of expectations
/// checked, and the failures, each prefixed with the file and case.
pub async fn run_file(
    label: &str,
    file: &CaseFile,
    catalogue: Option<&Catalogue>,
    only: Option<&str>,
) -> (usize, Vec<String>) {
    let mut failures = Vec::new();
    let mut checked = 0;
    let file_matches = only.is_none_or(|f| label.contains(f));
    for case in &file.case {
        if !(file_matches || only.is_some_and(|f| case.name.contains(f))) {
            continue;
        }
        checked += case.expect.len() + case.rejected.len();
        let prefix = format!("{label}, case \"{}\"", case.name);
        match compute_case(case).await {
            Err(e) => failures.push(format!("{prefix}: {e}")),
            Ok(out) => failures.extend(
                check(case, &out, catalogue)
                    .into_iter()
                    .map(|f| format!("{prefix}: {f}")),
            ),
        }
    }
    (checked, failures)
}

fn only() -> Option<String> {
    std::env::var("PARANGON_CASES")
        .ok()
        .filter(|s| !s.is_empty())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_case_holds() {
    let catalogue = crate::common::catalogue();
    let only = only();
    let mut failures = Vec::new();
    let mut checked = 0;
    for (label, path) in case_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        match parse(&label, &text) {
            Err(e) => failures.push(e),
            Ok(file) => {
                let (n, failed) = run_file(&label, &file, Some(&catalogue), only.as_deref()).await;
                checked += n;
                failures.extend(failed);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing expectation(s) of the test cases (of {checked} checked):\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        checked > 0,
        "no expectation checked (PARANGON_CASES = {only:?})"
    );
}

#[test]
fn every_definition_has_a_case() {
    let catalogue = crate::common::catalogue();
    let defined: BTreeSet<(String, String)> = catalogue
        .indicators
        .iter()
        .map(|i| (i.id.clone(), i.definition.clone()))
        .collect();
    let mut tested = BTreeSet::new();
    let mut problems = Vec::new();
    for (label, path) in case_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let file = match parse(&label, &text) {
            Ok(f) => f,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        let stem = Path::new(&label).file_stem().unwrap().to_string_lossy();
        if file.table != stem || !pipelines().join(format!("{}.toml", file.table)).exists() {
            problems.push(format!(
                "{label}: table = \"{}\" should be \"{stem}\", the definitions file pipelines/{stem}.toml",
                file.table
            ));
        }
        let mut names = BTreeSet::new();
        for case in &file.case {
            let at = format!("{label}, case \"{}\"", case.name);
            if !names.insert(case.name.as_str()) {
                problems.push(format!("{at}: a second case of that name"));
            }
            if case.source.trim().is_empty() {
                problems.push(format!("{at}: empty source (document + indicator number)"));
            }
            if case.expect.is_empty() {
                problems.push(format!("{at}: no expectation"));
            }
            for e in &case.expect {
                let key = (e.indicator.clone(), e.definition.clone());
                if !defined.contains(&key) {
                    problems.push(format!(
                        "{at}: {} definition {} is not in pipelines/",
                        e.indicator, e.definition
                    ));
                } else if !e.absent {
                    tested.insert(key);
                }
                for p in e.problems() {
                    problems.push(format!("{at}: {}: {p}", e.cell()));
                }
            }
        }
    }
    for (id, definition) in defined.difference(&tested) {
        problems.push(format!(
            "{id} definition {definition}: no expected value in pipelines/cases/"
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---- self-tests: the runner cannot pass silently ----

const SELF_TEST: &str = r#"
table = "claims"

[[case]]
name = "self-test"
source = "runner self-test"
caisses = [{ caisse_id = "C1", organism = "ORG" }]

[case.rows]
claims = [
  { claim_id = "1", caisse_id = "C1", kind = "FSE", received_date = "2024-03-04", paid_date = "2024-03-06", amount = 1 },
]

[[case.expect]]   # right: delay 2
indicator = "claims_fse_delay_mean"
level = "caisse"
entity = "C1"
period = "2024-03"
value = 2
n_records = 1
numerator = 2.0
denominator = 1.0

[[case.expect]]   # right: organism and nation pool the one claim
indicator = "claims_fse_delay_mean"
level = "national"
period = "2024"
value = 2.0

[[case.expect]]   # right: no claim paid in April
indicator = "claims_fse_delay_mean"
level = "organism"
entity = "ORG"
period = "2024-04"
absent = true

[[case.expect]]   # wrong value
indicator = "claims_fse_delay_mean"
level = "caisse"
entity = "C1"
period = "2024-03"
value = 3.0

[[case.expect]]   # wrong count
indicator = "claims_fse_delay_mean"
level = "organism"
entity = "ORG"
period = "2024-03"
value = 2.0
n_records = 2

[[case.expect]]   # the cell exists
indicator = "claims_fse_delay_mean"
level = "caisse"
entity = "C1"
period = "2024"
absent = true

[[case.expect]]   # the cell does not exist
indicator = "claims_fse_delay_mean"
level = "caisse"
entity = "C1"
period = "2024-04"
value = 2.0

[[case.expect]]   # no such definition
indicator = "claims_fse_delay_mean"
definition = "NOBODY"
level = "caisse"
entity = "C1"
period = "2024-03"
value = 2.0

[case.rejected]   # nothing is rejected
claims = 1
"#;

#[tokio::test]
async fn a_wrong_expectation_fails() {
    let catalogue = crate::common::catalogue();
    let file = parse("self-test", SELF_TEST).unwrap();
    let (checked, failures) = run_file("self-test", &file, Some(&catalogue), None).await;
    assert_eq!(checked, 9);
    let p = "self-test, case \"self-test\": claims_fse_delay_mean";
    assert_eq!(
        failures,
        vec![
            format!("{p} [bench] caisse C1 2024-03: expected value 3, got 2"),
            format!("{p} [bench] organism ORG 2024-03: expected n_records 2, got 1"),
            format!("{p} [bench] caisse C1 2024: expected no value, got 2 (n_records 1)"),
            format!("{p} [bench] caisse C1 2024-04: expected value 2, got no value"),
            format!(
                "{p} [NOBODY] caisse C1 2024-03: expected value 2, got no value \
                 (pipelines/ has no such indicator and definition)"
            ),
            "self-test, case \"self-test\": claims: expected 1 rows rejected, got 0".to_string(),
        ]
    );
}

const SELF_TEST_AS_OF: &str = r#"
table = "emails"

[[case]]
name = "as-of"
source = "runner self-test"
as_of = "2024-03-30"
caisses = [{ caisse_id = "C1", organism = "ORG" }]

[case.rows]
emails = [
  { email_id = "1", caisse_id = "C1", received_at = "2024-03-29 10:00", is_spam = false },
  { email_id = "2", caisse_id = "C1", received_at = "2024-03-28 10:00", first_response_at = "2024-03-28 11:00", is_spam = false },
]

[[case.expect]]   # right: e-mail 1 is pending at 30 March, March ends after it
indicator = "emails_within_48h"
level = "caisse"
entity = "C1"
period = "2024-03"
value = 100.0
n_pending = 1
provisional = true

[[case.expect]]   # wrong n_pending and provisional
indicator = "emails_within_48h"
level = "caisse"
entity = "C1"
period = "2024-03"
value = 100.0
n_pending = 0
provisional = false
"#;

#[tokio::test]
async fn wrong_pending_and_provisional_fail() {
    let catalogue = crate::common::catalogue();
    let file = parse("self-test", SELF_TEST_AS_OF).unwrap();
    let (checked, failures) = run_file("self-test", &file, Some(&catalogue), None).await;
    assert_eq!(checked, 2);
    assert_eq!(
        failures,
        vec![
            "self-test, case \"as-of\": emails_within_48h [bench] caisse C1 2024-03: \
             expected n_pending 0, got 1; expected provisional false, got true"
                .to_string()
        ]
    );
    // An as-of date that is not one is the case's error, not a silent default.
    let bad = parse(
        "t",
        &SELF_TEST_AS_OF.replace("\"2024-03-30\"", "\"30/03/2024\""),
    )
    .unwrap();
    let (_, failures) = run_file("t", &bad, Some(&catalogue), None).await;
    assert_eq!(
        failures,
        vec![
            "t, case \"as-of\": as_of: expected a date \"YYYY-MM-DD\", got \"30/03/2024\""
                .to_string()
        ]
    );
    // `absent` takes no n_pending or provisional.
    let absent = parse(
        "t",
        &SELF_TEST_AS_OF.replace(
            "value = 100.0\nn_pending = 0",
            "absent = true\nn_pending = 0",
        ),
    )
    .unwrap();
    assert!(absent.case[0].expect[1].problems()[0].contains("n_pending or provisional"));
}

#[test]
fn typos_are_errors() {
    // An unknown key of a case or an expectation.
    let e = parse("t", &SELF_TEST.replace("n_records = 1", "n_record = 1")).unwrap_err();
    assert!(e.contains("n_record"), "{e}");
    let e = parse(
        "t",
        &SELF_TEST.replace("name = \"self-test\"", "nom = \"x\""),
    )
    .unwrap_err();
    assert!(e.contains("nom"), "{e}");
    // An unknown level.
    assert!(parse("t", &SELF_TEST.replace("\"national\"", "\"nation\"")).is_err());
    // An unknown column, a value of the wrong type, an unknown table.
    let file = parse("t", SELF_TEST).unwrap();
    let rows = &file.case[0].rows["claims"];
    let mut typo = rows.clone();
    typo[0].insert("paid_dat".into(), toml::Value::String("2024-03-06".into()));
    assert!(
        columns("claims", &typo)
            .unwrap_err()
            .contains("unknown column 'paid_dat'")
    );
    let mut bad = rows.clone();
    bad[0].insert("paid_date".into(), toml::Value::String("06/03/2024".into()));
    assert_eq!(
        columns("claims", &bad).unwrap_err(),
        "claims row 1, column paid_date: expected a date \"YYYY-MM-DD\", got \"06/03/2024\""
    );
    assert!(
        columns("claim", rows)
            .unwrap_err()
            .contains("unknown table 'claim'")
    );
    // Structural problems of an expectation.
    let national_entity = SELF_TEST.replace(
        "level = \"national\"\nperiod",
        "level = \"national\"\nentity = \"X\"\nperiod",
    );
    let file = parse("t", &national_entity).unwrap();
    assert_eq!(
        file.case[0].expect[1].problems(),
        vec!["`entity` is omitted at national level".to_string()]
    );
}

#[test]
fn rows_are_typed_by_the_contract() {
    use parangon::arrow::array::Array;
    let rows: Vec<toml::Table> = vec![
        toml::from_str(
            "email_id = \"1\"\ncaisse_id = \"C\"\nreceived_at = \"2024-03-01 10:00\"\n\
             first_response_at = \"2024-03-03 10:00:30\"\nis_spam = false",
        )
        .unwrap(),
        toml::from_str("email_id = \"2\"\ncaisse_id = \"C\"\nreceived_at = 2024-03-01T10:00:00\nis_spam = true")
            .unwrap(),
    ];
    let cols = columns("emails", &rows).unwrap();
    let names: Vec<_> = cols.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        [
            "email_id",
            "caisse_id",
            "received_at",
            "first_response_at",
            "is_spam"
        ]
    );
    let stamps = cols[3]
        .1
        .as_any()
        .downcast_ref::<TimestampMicrosecondArray>()
        .unwrap();
    let expected = NaiveDateTime::parse_from_str("2024-03-03 10:00:30", "%Y-%m-%d %H:%M:%S")
        .unwrap()
        .and_utc()
        .timestamp_micros();
    assert_eq!(stamps.value(0), expected);
    assert!(stamps.is_null(1), "a key absent from a row is null");
    let received = cols[2]
        .1
        .as_any()
        .downcast_ref::<TimestampMicrosecondArray>()
        .unwrap();
    assert_eq!(received.value(0), received.value(1));
}
