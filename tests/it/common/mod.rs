//! Small hand-made datasets for the indicator tests: a caisse reference and Parquet tables
//! written column by column, computed with the real catalogue of `pipelines/`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};
use parangon::arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use parangon::arrow::datatypes::{Field, Schema};
use parangon::assess::benchmark::{BenchmarkRow, RankRow};
use parangon::assess::confidentiality::Suppression;
use parangon::compute::{self, ComputeOptions, TableRun};
use parangon::contract;
use parangon::ingest::{Caisse, Input, reference};
use parangon::model::{Catalogue, CatalogueSource, IndicatorValue, Level, NotComputed};

/// Asserts that a run of the binary succeeded (printing its output if not) and returns its
/// stdout.
pub fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Waits until a run started with `PARANGON_FAULT_PAUSE=<point>:…` (stderr piped) says it
/// paused at `point`, then SIGKILLs it: a crash at a chosen place.
pub fn kill_when_paused(mut child: std::process::Child, point: &str) {
    use std::io::BufRead;
    let stderr = std::io::BufReader::new(child.stderr.take().expect("stderr piped"));
    let reached = stderr
        .lines()
        .map_while(Result::ok)
        .any(|l| l.contains(&format!("fault pause at {point}")));
    assert!(reached, "the run never reached {point}");
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
}

/// Every file under `root` with its bytes, by path relative to `root`: two outputs are compared
/// file by file with it.
pub fn files_under(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

pub fn pipelines() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines")
}

/// The repository's catalogue, read from its folder.
pub fn catalogue() -> Catalogue {
    parangon::pipelines::load(&CatalogueSource::Folder(pipelines())).unwrap()
}

/// A computation as a run makes it: the raw values of `compute`, assessed (targets,
/// confidentiality, benchmark).
#[derive(Debug)]
pub struct Computed {
    pub values: Vec<IndicatorValue>,
    pub suppression: Suppression,
    pub benchmark: Vec<BenchmarkRow>,
    pub ranks: Vec<RankRow>,
    pub tables: Vec<TableRun>,
    pub computed: Vec<(String, String)>,
    pub not_computed: Vec<NotComputed>,
}

pub struct Fixture {
    pub dir: tempfile::TempDir,
}

impl Fixture {
    /// `caisses`: (caisse_id, organism, alsace_moselle).
    pub fn new(caisses: &[(&str, &str, bool)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let list: Vec<Caisse> = caisses
            .iter()
            .map(|(id, org, am)| Caisse {
                caisse_id: id.to_string(),
                name: format!("Caisse {id}"),
                organism: org.to_string(),
                region: None,
                alsace_moselle: *am,
                extract_date: None,
            })
            .collect();
        std::fs::create_dir_all(dir.path().join("reference")).unwrap();
        std::fs::write(
            dir.path().join("reference/caisses.csv"),
            reference::to_csv(&list),
        )
        .unwrap();
        Self { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `<table>/<file>` with the given columns (omitted nullable columns read as null).
    pub fn table(&self, table: &str, file: &str, columns: Vec<(&str, ArrayRef)>) {
        let fields: Vec<Field> = columns
            .iter()
            .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
            .collect();
        let arrays: Vec<ArrayRef> = columns.into_iter().map(|(_, a)| a).collect();
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap();
        let path = self.path().join(table).join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, parangon::publish::parquet::encode(&batch).unwrap()).unwrap();
    }

    /// Computes with confidentiality off: these hand-made fixtures have a few records per
    /// caisse, and the tests check the values and their renderings. Suppression has its own
    /// tests (tests/confidentiality.rs).
    pub async fn compute(&self) -> Computed {
        self.compute_with(ComputeOptions::default(), 0).await
    }

    /// Computes and assesses with `suppression_threshold` as the run's default threshold.
    pub async fn compute_with(
        &self,
        options: ComputeOptions,
        suppression_threshold: i64,
    ) -> Computed {
        self.try_compute_with(options, suppression_threshold)
            .await
            .unwrap()
    }

    /// Like `compute`, but returns the error of a failed run as text instead of panicking
    /// (the data test cases of tests/it/cases.rs report it with the case).
    pub async fn try_compute(&self) -> Result<Computed, String> {
        self.try_compute_with(ComputeOptions::default(), 0).await
    }

    pub async fn try_compute_with(
        &self,
        options: ComputeOptions,
        suppression_threshold: i64,
    ) -> Result<Computed, String> {
        let catalogue = catalogue();
        let input = Input::open(self.path().to_str().unwrap(), contract::TABLES)
            .await
            .map_err(|e| e.to_string())?;
        let raw = compute::compute(&input, &catalogue, &options, &compute::Silent)
            .await
            .map_err(|e| e.to_string())?;
        let assessed = parangon::assess::assess(raw.values, &catalogue, suppression_threshold);
        Ok(Computed {
            values: assessed.values,
            suppression: assessed.suppression,
            benchmark: assessed.benchmark,
            ranks: assessed.ranks,
            tables: raw.tables,
            computed: raw.computed,
            not_computed: raw.not_computed,
        })
    }
}

pub fn text(values: &[Option<&str>]) -> ArrayRef {
    Arc::new(StringArray::from(values.to_vec()))
}

pub fn same_text(value: &str, n: usize) -> ArrayRef {
    Arc::new(StringArray::from(vec![Some(value); n]))
}

pub fn day(s: &str) -> i32 {
    parangon::calendar::from_date(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
}

pub fn dates(values: &[Option<&str>]) -> ArrayRef {
    Arc::new(Date32Array::from(
        values.iter().map(|v| v.map(day)).collect::<Vec<_>>(),
    ))
}

pub fn stamps(values: &[Option<&str>]) -> ArrayRef {
    Arc::new(TimestampMicrosecondArray::from(
        values
            .iter()
            .map(|v| {
                v.map(|s| {
                    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
                        .unwrap()
                        .and_utc()
                        .timestamp_micros()
                })
            })
            .collect::<Vec<_>>(),
    ))
}

pub fn floats(values: &[Option<f64>]) -> ArrayRef {
    Arc::new(Float64Array::from(values.to_vec()))
}

pub fn ints(values: &[Option<i64>]) -> ArrayRef {
    Arc::new(Int64Array::from(values.to_vec()))
}

pub fn bools(values: &[Option<bool>]) -> ArrayRef {
    Arc::new(BooleanArray::from(values.to_vec()))
}

pub fn ids(prefix: &str, n: usize) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(
        (0..n).map(|i| format!("{prefix}{i}")),
    ))
}

/// The value of one cell of `indicator_values`.
/// `entity`: caisse id at caisse level, organism at organism level, "" at national level.
pub fn find<'a>(
    out: &'a Computed,
    id: &str,
    definition: &str,
    level: Level,
    entity: &str,
    dimension_value: Option<&str>,
    period: &str,
) -> Option<&'a IndicatorValue> {
    out.values.iter().find(|v| {
        v.indicator_id == id
            && v.definition == definition
            && v.level == level
            && match level {
                Level::Caisse => v.caisse_id.as_deref() == Some(entity),
                Level::Organism => v.organism.as_deref() == Some(entity),
                Level::National => true,
            }
            && v.dimension_value.as_deref() == dimension_value
            && v.period() == period
    })
}

/// The value of a bench cell, which must exist.
pub fn value(out: &Computed, id: &str, level: Level, entity: &str, period: &str) -> f64 {
    find(out, id, "bench", level, entity, None, period)
        .unwrap_or_else(|| panic!("no value for {id} {level:?} {entity} {period}"))
        .value
}

pub fn close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() < 1e-9,
        "expected {expected}, got {actual}"
    );
}
