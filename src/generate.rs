//! `parangon generate`: a synthetic dataset conforming to the contract, deterministic for a seed.
//!
//! It models several organisms — a CNAM-like network of CPAM, a CNAV-like network of Carsat,
//! and Cavimac, CRPCEN and Camieg as single-caisse organisms — with one CPAM and one Carsat in
//! Alsace-Moselle. Each caisse has a quality factor (a few are much worse than the others) that
//! stretches its delays. Delays have long tails (log-normal), payments happen on open days,
//! complaints peak after holidays, some claims are unpaid, some pension files incomplete, the
//! online share of pension applications grows each year, and e-mails include spam. A small share
//! of invalid rows is injected on purpose; `generator.json` at the root says how many per table
//! and why, so tests can reconcile the rejects exactly.
//!
//! Every (table, caisse, year) chunk has its own random stream derived from the seed, so the
//! output does not depend on the order chunks are generated in.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayBuilder, ArrayRef, BooleanArray, Date32Array, Float64Array, Int64Array,
    RecordBatch, StringArray, StringBuilder, TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{Field, Schema};
use datafusion::arrow::util::bit_util;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::Compression;
use datafusion::parquet::file::properties::WriterProperties;
use datafusion::parquet::schema::types::ColumnPath;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::Serialize;

use crate::calendar::{self, ymd};
use crate::contract::{self, TableSpec};
use crate::ingest::{Caisse, reference};

/// Parameters of a generated dataset.
#[derive(Debug, Clone, Serialize)]
pub struct GenerateOptions {
    /// Total number of caisses (at least 5: the three single-caisse organisms, one CPAM, one Carsat).
    pub caisses: usize,
    pub years: Vec<i32>,
    /// Claims per caisse and year; the other tables are proportional.
    pub rows_per_caisse: usize,
    pub seed: u64,
    /// Share of rows made invalid on purpose (0 for none).
    pub invalid_rate: f64,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        Self {
            caisses: 12,
            years: vec![2023, 2024],
            rows_per_caisse: 2_000,
            seed: 1,
            invalid_rate: 0.002,
        }
    }
}

/// What was generated: rows per table and the invalid rows injected, by reason.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GenerateReport {
    pub options: Option<GenerateOptions>,
    pub rows: BTreeMap<String, u64>,
    pub invalid: BTreeMap<String, BTreeMap<String, u64>>,
    pub files: Vec<String>,
}

impl GenerateReport {
    pub fn invalid_rows(&self, table: &str) -> u64 {
        self.invalid.get(table).map_or(0, |m| m.values().sum())
    }
}

/// The organisms and caisses of a dataset of `n` caisses.
pub fn caisses(n: usize) -> Vec<Caisse> {
    let n = n.max(5);
    let mut out = Vec::new();
    let network = n - 3;
    let carsat = (network / 3).max(1);
    let cpam = network - carsat;
    const DEPTS: &[(&str, &str)] = &[
        ("75", "Île-de-France"),
        ("67", "Grand Est"),
        ("13", "Provence-Alpes-Côte d'Azur"),
        ("92", "Île-de-France"),
        ("59", "Hauts-de-France"),
        ("69", "Auvergne-Rhône-Alpes"),
        ("33", "Nouvelle-Aquitaine"),
        ("31", "Occitanie"),
        ("44", "Pays de la Loire"),
        ("35", "Bretagne"),
        ("57", "Grand Est"),
        ("06", "Provence-Alpes-Côte d'Azur"),
    ];
    for i in 0..cpam {
        let (code, region) = if let Some((code, region)) = DEPTS.get(i) {
            (code.to_string(), *region)
        } else {
            (format!("{:02}", 100 + i), "Autre")
        };
        out.push(Caisse {
            caisse_id: format!("CPAM-{code}"),
            name: format!("CPAM {code}"),
            organism: "CNAM".into(),
            region: Some(region.into()),
            alsace_moselle: code == "67" || code == "57" || code == "68",
        });
    }
    const CARSATS: &[(&str, &str)] = &[
        ("NE", "Grand Est"),
        ("AM", "Grand Est"),
        ("SE", "Provence-Alpes-Côte d'Azur"),
        ("IDF", "Île-de-France"),
        ("BFC", "Bourgogne-Franche-Comté"),
        ("RA", "Auvergne-Rhône-Alpes"),
    ];
    for i in 0..carsat {
        let (code, region) = if let Some((code, region)) = CARSATS.get(i) {
            (code.to_string(), *region)
        } else {
            (format!("R{i}"), "Autre")
        };
        out.push(Caisse {
            caisse_id: format!("CARSAT-{code}"),
            name: format!("Carsat {code}"),
            organism: "CNAV".into(),
            region: Some(region.into()),
            alsace_moselle: code == "AM",
        });
    }
    for (id, name) in [
        (
            "CAVIMAC",
            "Caisse d'assurance vieillesse, invalidité et maladie des cultes",
        ),
        (
            "CRPCEN",
            "Caisse de retraite et de prévoyance des clercs et employés de notaires",
        ),
        (
            "CAMIEG",
            "Caisse d'assurance maladie des industries électriques et gazières",
        ),
    ] {
        out.push(Caisse {
            caisse_id: id.into(),
            name: name.into(),
            organism: id.into(),
            region: None,
            alsace_moselle: false,
        });
    }
    out
}

/// Writes a dataset under `dir` (created if needed).
pub fn generate(dir: &Path, options: &GenerateOptions) -> std::io::Result<GenerateReport> {
    let caisses = caisses(options.caisses);
    std::fs::create_dir_all(dir.join("reference"))?;
    std::fs::write(
        dir.join("reference/caisses.csv"),
        reference::to_csv(&caisses),
    )?;
    let mut report = GenerateReport {
        options: Some(options.clone()),
        ..Default::default()
    };
    report.files.push("reference/caisses.csv".into());
    let generators: [(&'static TableSpec, TableGen); 11] = [
        (&contract::CLAIMS, claims),
        (&contract::PENSIONS, pensions),
        (&contract::CALLS, calls),
        (&contract::RECLAMATIONS, reclamations),
        (&contract::EMAILS, emails),
        (&contract::STAFF, staff),
        (&contract::COSTS, costs),
        (&contract::CONTROLS, controls),
        (&contract::OVERPAYMENTS, overpayments),
        (&contract::CONTRIBUTIONS, contributions),
        (&contract::SATISFACTION, satisfaction),
    ];
    // Chunks of (table, year, group of caisses) are generated and written in parallel; each
    // caisse has its own random stream and each chunk its own stream for invalid rows, so the
    // bytes do not depend on the number of threads. A file holds about FILE_ROWS claims.
    let per_file = (FILE_ROWS / options.rows_per_caisse.max(1)).clamp(1, caisses.len());
    let groups: Vec<&[Caisse]> = caisses.chunks(per_file).collect();
    let mut chunks = Vec::new();
    for (spec, generator) in generators {
        for &year in &options.years {
            for group in 0..groups.len() {
                chunks.push((spec, generator, year, group));
            }
        }
    }
    let results: Vec<std::sync::Mutex<Option<std::io::Result<Option<Chunk>>>>> =
        chunks.iter().map(|_| std::sync::Mutex::new(None)).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..threads.min(chunks.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(&(spec, generator, year, group)) = chunks.get(i) else {
                        return;
                    };
                    let first = group * per_file;
                    let chunk =
                        generate_chunk(dir, options, &caisses, spec, generator, year, group, first);
                    *results[i].lock().expect("chunk slot") = Some(chunk);
                }
            });
        }
    });
    for slot in results {
        let done = slot.into_inner().expect("chunk slot");
        let Some(chunk) = done.transpose()?.flatten() else {
            continue;
        };
        let entry = report.invalid.entry(chunk.table.to_string()).or_default();
        for (reason, count) in chunk.invalid {
            *entry.entry(reason).or_default() += count;
        }
        *report.rows.entry(chunk.table.to_string()).or_default() += chunk.rows;
        report.files.push(chunk.file);
    }
    let json = serde_json::to_vec_pretty(&report).map_err(std::io::Error::other)?;
    std::fs::write(dir.join("generator.json"), json)?;
    Ok(report)
}

type TableGen = fn(&mut Gen, &mut Rows);

/// Claims per file, about: big tables are split into files of a realistic size.
const FILE_ROWS: usize = 1 << 20;

/// One written file of the dataset.
struct Chunk {
    table: &'static str,
    rows: u64,
    invalid: BTreeMap<String, u64>,
    file: String,
}

/// Generates and writes the rows of `spec` for `year` and the caisses of group `group`
/// (starting at caisse index `first`); `None` when they have no row.
#[allow(clippy::too_many_arguments)]
fn generate_chunk(
    dir: &Path,
    options: &GenerateOptions,
    caisses: &[Caisse],
    spec: &'static TableSpec,
    generator: TableGen,
    year: i32,
    group: usize,
    first: usize,
) -> std::io::Result<Option<Chunk>> {
    let per_file = (FILE_ROWS / options.rows_per_caisse.max(1)).clamp(1, caisses.len());
    let mut rows = Rows {
        caisses: per_file.min(caisses.len().saturating_sub(first)),
        ..Rows::default()
    };
    for (index, caisse) in caisses.iter().enumerate().skip(first).take(per_file) {
        let mut g = Gen::new(options, spec.name, index, year, caisse, caisses);
        generator(&mut g, &mut rows);
    }
    if rows.len() == 0 {
        return Ok(None);
    }
    let invalid = rows.inject_invalid(spec, options, year, group);
    let count = rows.len() as u64;
    let file = format!("{}/year={year}/part-{group}.parquet", spec.name);
    let path = dir.join(&file);
    std::fs::create_dir_all(path.parent().expect("has a parent"))?;
    // Record ids, amounts and time stamps are (nearly) unique: a dictionary would only be
    // tried and abandoned, so they are written plain; codes, caisses and dates keep one.
    let plain: Vec<&str> = spec
        .columns
        .iter()
        .filter(|c| {
            matches!(
                c.ty,
                contract::LogicalType::Float | contract::LogicalType::Timestamp
            ) || matches!(spec.key, contract::RecordKey::Id(id) if id == c.name)
        })
        .map(|c| c.name)
        .collect();
    let id = match spec.key {
        contract::RecordKey::Id(id) => Some(id),
        contract::RecordKey::CaisseYear => None,
    };
    write_parquet(&path, &rows.into_batch(spec), &plain, id)?;
    Ok(Some(Chunk {
        table: spec.name,
        rows: count,
        invalid,
        file,
    }))
}

fn write_parquet(
    path: &Path,
    batch: &RecordBatch,
    plain: &[&str],
    id: Option<&str>,
) -> std::io::Result<()> {
    let mut props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(128 * 1024))
        .set_created_by("parangon generate".into());
    for &column in plain {
        props = props.set_column_dictionary_enabled(ColumnPath::from(column), false);
    }
    // No min/max for the record id: no reader prunes on it, and comparing every id string
    // with the page's bounds was a tenth of the writing (perf).
    if let Some(id) = id {
        props = props.set_column_statistics_enabled(
            ColumnPath::from(id),
            datafusion::parquet::file::properties::EnabledStatistics::None,
        );
    }
    let props = props.build();
    let file = std::fs::File::create(path)?;
    let mut writer =
        ArrowWriter::try_new(file, batch.schema(), Some(props)).map_err(std::io::Error::other)?;
    writer.write(batch).map_err(std::io::Error::other)?;
    writer.close().map_err(std::io::Error::other)?;
    Ok(())
}

/// Column values of one table, before they become Arrow arrays. A generator pushes its
/// columns in the same order for every row, so the column a value goes to is found by checking
/// the slot after the previous one first (no map lookup per value), and text goes straight
/// into one Arrow buffer per column (no allocation per value).
#[derive(Debug, Default)]
struct Rows {
    columns: Vec<(&'static str, Column)>,
    /// Index of the column after the one written last.
    cursor: usize,
    /// Caisses whose rows this chunk holds, and the rows expected in all (see [`Rows::expect`]).
    caisses: usize,
    capacity: usize,
}

#[derive(Debug)]
enum Column {
    Text(Text),
    Day(Vec<Option<i32>>),
    Micros(Vec<Option<i64>>),
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
}

/// A text column: the Arrow builder, plus the values replaced later by
/// [`Rows::inject_invalid`] (a few per thousand rows), applied when the array is built.
#[derive(Debug, Default)]
struct Text {
    values: StringBuilder,
    replaced: BTreeMap<usize, Option<String>>,
}

impl Text {
    /// An empty text column for `rows` values (record ids, the longest, take 13 bytes).
    fn column(rows: usize) -> Column {
        Column::Text(Text {
            values: StringBuilder::with_capacity(rows, rows * 16),
            replaced: BTreeMap::new(),
        })
    }

    fn get(&self, row: usize) -> Option<String> {
        if let Some(v) = self.replaced.get(&row) {
            return v.clone();
        }
        if self
            .values
            .validity_slice()
            .is_some_and(|bits| !bit_util::get_bit(bits, row))
        {
            return None;
        }
        let offsets = self.values.offsets_slice();
        let bytes = &self.values.values_slice()[offsets[row] as usize..offsets[row + 1] as usize];
        Some(String::from_utf8_lossy(bytes).into_owned())
    }

    fn finish(mut self) -> StringArray {
        let array = self.values.finish();
        // Replaced rows are merged in row order (no per-row map lookup).
        if self.replaced.is_empty() {
            return array;
        }
        let mut out = StringBuilder::with_capacity(array.len(), array.values().len());
        let mut from = 0;
        for (&row, value) in &self.replaced {
            for kept in from..row {
                out.append_option(array.is_valid(kept).then(|| array.value(kept)));
            }
            out.append_option(value.as_deref());
            from = row + 1;
        }
        for kept in from..array.len() {
            out.append_option(array.is_valid(kept).then(|| array.value(kept)));
        }
        out.finish()
    }
}

impl Column {
    fn len(&self) -> usize {
        match self {
            Column::Text(v) => v.values.len(),
            Column::Day(v) => v.len(),
            Column::Micros(v) => v.len(),
            Column::Int(v) => v.len(),
            Column::Float(v) => v.len(),
            Column::Bool(v) => v.len(),
        }
    }
}

/// Pushes `$value` to the `$variant` column `$name`.
macro_rules! push {
    ($rows:expr, $name:expr, $variant:ident, $value:expr) => {
        match $rows.column($name, |rows| Column::$variant(Vec::with_capacity(rows))) {
            Column::$variant(c) => c.push($value),
            _ => unreachable!("column {} has one type", $name),
        }
    };
}

impl Rows {
    fn len(&self) -> usize {
        self.columns.first().map_or(0, |(_, c)| c.len())
    }

    /// A generator about to write `rows` rows for each caisse of the chunk: columns are then
    /// created at their final size. Growing them instead cost a tenth of the generation time
    /// in copies and page faults (perf, 12.5 M claims).
    fn expect(&mut self, rows: usize) {
        if self.columns.is_empty() {
            self.capacity = rows * self.caisses.max(1);
        }
    }

    /// The column `name`, created by `make` (given the expected rows) on first use.
    fn column(&mut self, name: &'static str, make: fn(usize) -> Column) -> &mut Column {
        let expected = if self.cursor < self.columns.len() {
            self.cursor
        } else {
            0
        };
        let index = match self.columns.get(expected) {
            // The same call site passes the same literal: compare addresses before bytes.
            Some((n, _)) if std::ptr::eq(*n, name) || *n == name => expected,
            _ => match self.columns.iter().position(|(n, _)| *n == name) {
                Some(i) => i,
                None => {
                    self.columns.push((name, make(self.capacity)));
                    self.columns.len() - 1
                }
            },
        };
        self.cursor = index + 1;
        &mut self.columns[index].1
    }

    fn text(&mut self, name: &'static str, v: Option<&str>) {
        match self.column(name, Text::column) {
            Column::Text(c) => c.values.append_option(v),
            _ => unreachable!("column {name} has one type"),
        }
    }
    /// A record id `{prefix}{year}-{n:0width$}` (`C2024-0000042`), written without the
    /// formatting machinery: ids are a third of the text generated.
    fn id(&mut self, name: &'static str, prefix: u8, year: i32, n: usize, width: usize) {
        let Ok(year @ 1000..=9999) = u32::try_from(year) else {
            let p = char::from(prefix);
            return self.text_fmt(name, format_args!("{p}{year}-{n:0width$}"));
        };
        let mut buf = [b'0'; 48];
        buf[0] = prefix;
        for (i, divisor) in [1000, 100, 10, 1].into_iter().enumerate() {
            buf[1 + i] = b'0' + (year / divisor % 10) as u8;
        }
        buf[5] = b'-';
        let digits = n.checked_ilog10().map_or(1, |d| d as usize + 1);
        let len = 6 + digits.max(width);
        let mut rest = n;
        for at in (len - digits..len).rev() {
            buf[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        let text = std::str::from_utf8(&buf[..len]).expect("ASCII");
        self.text(name, Some(text));
    }

    /// A text value written in place: `format_args!` with no intermediate String.
    fn text_fmt(&mut self, name: &'static str, v: std::fmt::Arguments) {
        use std::fmt::Write as _;
        match self.column(name, Text::column) {
            Column::Text(c) => {
                c.values.write_fmt(v).expect("writing to memory");
                c.values.append_value("");
            }
            _ => unreachable!("column {name} has one type"),
        }
    }
    fn day(&mut self, name: &'static str, v: Option<i32>) {
        push!(self, name, Day, v)
    }
    fn micros(&mut self, name: &'static str, v: Option<i64>) {
        push!(self, name, Micros, v)
    }
    fn int(&mut self, name: &'static str, v: Option<i64>) {
        push!(self, name, Int, v)
    }
    fn float(&mut self, name: &'static str, v: Option<f64>) {
        push!(self, name, Float, v)
    }
    fn bool(&mut self, name: &'static str, v: Option<bool>) {
        push!(self, name, Bool, v)
    }

    fn get(&self, name: &str) -> Option<&Column> {
        self.columns
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, c)| c)
    }
    fn get_mut(&mut self, name: &str) -> Option<&mut Column> {
        self.columns
            .iter_mut()
            .find(|(n, _)| *n == name)
            .map(|(_, c)| c)
    }

    /// Breaks a few rows on purpose, each in one way the contract rejects. Returns the count
    /// by reason. Rows are chosen with a stream of their own so the valid data is unchanged.
    fn inject_invalid(
        &mut self,
        spec: &TableSpec,
        options: &GenerateOptions,
        year: i32,
        group: usize,
    ) -> BTreeMap<String, u64> {
        let mut counts = BTreeMap::new();
        let n = self.len();
        if options.invalid_rate <= 0.0 || n < 20 {
            return counts;
        }
        // Group 0 keeps the stream of the single-file layout (same sample data as before).
        let (year_text, group_text) = (year.to_string(), group.to_string());
        let mut parts = vec![spec.name, "invalid", &year_text];
        if group > 0 {
            parts.push(&group_text);
        }
        let mut rng = ChaCha8Rng::seed_from_u64(mix(options.seed, &parts));
        let how_many = ((n as f64 * options.invalid_rate).ceil() as usize).max(6);
        let mut used = std::collections::BTreeSet::new();
        let id_column = match spec.key {
            contract::RecordKey::Id(id) => id,
            contract::RecordKey::CaisseYear => "caisse_id",
        };
        let code_column = spec
            .columns
            .iter()
            .find(|c| c.codes.is_some())
            .map(|c| c.name);
        let order = spec.date_orders.first();
        for k in 0..how_many {
            let mut row = rng.random_range(0..n);
            while used.contains(&row) {
                row = (row + 1) % n;
            }
            used.insert(row);
            let reason = match k % 6 {
                0 => {
                    self.set_text("caisse_id", row, Some("CAISSE-INCONNUE".into()));
                    "unknown caisse"
                }
                1 => {
                    self.set_text("caisse_id", row, None);
                    "null caisse_id"
                }
                2 if code_column.is_some() => {
                    let c = code_column.expect("checked");
                    // Lower-cased: codes are matched exactly, without case folding.
                    let v = self
                        .get_text(c, row)
                        .map(|s| format!("{}-x", s.to_lowercase()));
                    self.set_text(c, row, v);
                    "unknown code"
                }
                3 if order.is_some() => {
                    let o = order.expect("checked");
                    let earlier = self.get_instant(o.earlier, row);
                    self.set_before(o.later, row, earlier);
                    "date order"
                }
                4 => {
                    // A duplicate of the previous row's id, in the same caisse: copy both.
                    let source = if row == 0 { 1 } else { row - 1 };
                    if used.contains(&source) {
                        self.set_text("caisse_id", row, None);
                        "null caisse_id"
                    } else {
                        let caisse = self.get_text("caisse_id", source);
                        let id = self.get_text(id_column, source);
                        self.set_text("caisse_id", row, caisse);
                        self.set_text(id_column, row, id);
                        used.insert(source);
                        "duplicate id"
                    }
                }
                _ => {
                    // An absurd date (a sentinel of the source system).
                    let c = spec
                        .columns
                        .iter()
                        .find(|c| {
                            matches!(
                                c.ty,
                                contract::LogicalType::Date | contract::LogicalType::Timestamp
                            ) && c.required
                        })
                        .map(|c| c.name);
                    match c {
                        Some(c) => {
                            self.set_instant(c, row, ymd(1900, 1, 1));
                            "absurd date"
                        }
                        None => {
                            self.set_text("caisse_id", row, None);
                            "null caisse_id"
                        }
                    }
                }
            };
            *counts.entry(reason.to_string()).or_default() += 1;
        }
        counts
    }

    fn get_text(&self, name: &str, row: usize) -> Option<String> {
        match self.get(name) {
            Some(Column::Text(v)) => v.get(row),
            _ => None,
        }
    }
    fn set_text(&mut self, name: &str, row: usize, value: Option<String>) {
        if let Some(Column::Text(v)) = self.get_mut(name) {
            v.replaced.insert(row, value);
        }
    }
    fn get_instant(&self, name: &str, row: usize) -> Option<i64> {
        match self.get(name) {
            Some(Column::Day(v)) => v[row].map(|d| i64::from(d) * 86_400_000_000),
            Some(Column::Micros(v)) => v[row],
            _ => None,
        }
    }
    /// Sets `name` to one day (or hour) before `instant`.
    fn set_before(&mut self, name: &str, row: usize, instant: Option<i64>) {
        let Some(t) = instant else { return };
        match self.get_mut(name) {
            Some(Column::Day(v)) => v[row] = Some((t / 86_400_000_000) as i32 - 1),
            Some(Column::Micros(v)) => v[row] = Some(t - 3_600_000_000),
            _ => {}
        }
    }
    fn set_instant(&mut self, name: &str, row: usize, day: i32) {
        match self.get_mut(name) {
            Some(Column::Day(v)) => v[row] = Some(day),
            Some(Column::Micros(v)) => v[row] = Some(i64::from(day) * 86_400_000_000),
            _ => {}
        }
    }

    fn into_batch(mut self, spec: &TableSpec) -> RecordBatch {
        let mut fields = Vec::new();
        let mut arrays: Vec<ArrayRef> = Vec::new();
        for c in spec.columns {
            let at = self
                .columns
                .iter()
                .position(|(n, _)| *n == c.name)
                .unwrap_or_else(|| panic!("generator filled {}", c.name));
            let (_, column) = self.columns.swap_remove(at);
            fields.push(Field::new(c.name, c.ty.canonical(), true));
            arrays.push(match column {
                Column::Text(v) => Arc::new(v.finish()),
                Column::Day(v) => Arc::new(Date32Array::from(v)),
                Column::Micros(v) => Arc::new(TimestampMicrosecondArray::from(v)),
                Column::Int(v) => Arc::new(Int64Array::from(v)),
                Column::Float(v) => Arc::new(Float64Array::from(v)),
                Column::Bool(v) => Arc::new(BooleanArray::from(v)),
            });
        }
        RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
            .expect("generated columns align")
    }
}

/// A random stream for one (table, caisse, year) chunk, and the caisse's traits.
struct Gen<'a> {
    rng: ChaCha8Rng,
    caisse: &'a Caisse,
    caisses: &'a [Caisse],
    year: i32,
    /// Claims per year; other tables derive from it.
    volume: usize,
    /// Delay multiplier: 1 is typical, a few caisses are much slower.
    slowness: f64,
    /// Horizon of the extraction: records not finished by then are open/unpaid.
    horizon: i32,
    /// 1 January of `year`, and the number of days of `year`.
    first_day: i32,
    days_in_year: i32,
}

impl<'a> Gen<'a> {
    fn new(
        options: &GenerateOptions,
        table: &str,
        index: usize,
        year: i32,
        caisse: &'a Caisse,
        caisses: &'a [Caisse],
    ) -> Self {
        // The caisse's slowness is fixed across tables and years.
        let mut traits =
            ChaCha8Rng::seed_from_u64(mix(options.seed, &["traits", &caisse.caisse_id]));
        let slowness = match index % 7 {
            3 => 2.2 + traits.random::<f64>(), // a caisse far worse than the others
            _ => 0.7 + 0.6 * traits.random::<f64>(),
        };
        let last_year = options.years.iter().copied().max().unwrap_or(year);
        Self {
            rng: ChaCha8Rng::seed_from_u64(mix(
                options.seed,
                &[table, &caisse.caisse_id, &year.to_string()],
            )),
            caisse,
            caisses,
            year,
            volume: options.rows_per_caisse,
            slowness,
            horizon: ymd(last_year, 12, 31),
            first_day: ymd(year, 1, 1),
            days_in_year: ymd(year, 12, 31) - ymd(year, 1, 1) + 1,
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random::<f64>() < p
    }

    /// A log-normal draw of median `median`: `median · e^(σz)`, z standard normal. The same
    /// law as `LogNormal::new(ln median, σ)`, without a logarithm per draw.
    fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        let z: f64 = self.rng.sample(StandardNormal);
        median * (sigma * z).exp()
    }

    /// A day of the year; weekends are rare (offices are closed), and the first open day after
    /// a holiday gets extra weight when `after_holidays` (complaints pile up).
    fn day(&mut self, after_holidays: bool) -> i32 {
        let (first, days) = (self.first_day, self.days_in_year);
        loop {
            let d = first + self.rng.random_range(0..days);
            let open = calendar::is_open_day(d, self.caisse.alsace_moselle);
            if !open && !self.chance(0.08) {
                continue;
            }
            if after_holidays
                && open
                && !calendar::is_open_day(d - 1, self.caisse.alsace_moselle)
                && calendar::weekday(d - 1) < 5
            {
                return d; // the day after a holiday is always kept
            }
            if after_holidays && self.chance(0.15) {
                continue;
            }
            return d;
        }
    }

    /// The first open day on or after `d` (payments are ordered on open days).
    fn next_open(&self, mut d: i32) -> i32 {
        while !calendar::is_open_day(d, self.caisse.alsace_moselle) {
            d += 1;
        }
        d
    }

    fn is(&self, organisms: &[&str]) -> bool {
        organisms.contains(&self.caisse.organism.as_str())
    }
}

fn first_day_of_month(day: i32) -> i32 {
    use chrono::Datelike;
    day - (calendar::to_date(day).day() as i32 - 1)
}

/// Mixes the seed with names into a sub-seed (FNV-1a then a SplitMix64 finaliser).
fn mix(seed: u64, parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for p in parts {
        for b in p.bytes().chain([0xFF]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

fn claims(g: &mut Gen, rows: &mut Rows) {
    if !g.is(&["CNAM", "CAVIMAC", "CRPCEN", "CAMIEG"]) {
        return;
    }
    let delegate = g
        .caisses
        .iter()
        .find(|c| c.organism == "CNAM")
        .map(|c| c.caisse_id.clone());
    rows.expect(g.volume);
    for n in 0..g.volume {
        let kind = match g.rng.random::<f64>() {
            x if x < 0.72 => "FSE",
            x if x < 0.90 => "FSP",
            _ => "IJ",
        };
        let received = g.day(false);
        let (care_gap, median, sigma) = match kind {
            "FSE" => (g.lognormal(1.5, 0.8), 3.0, 0.55),
            "FSP" => (g.lognormal(8.0, 0.7), 9.0, 0.6),
            _ => (g.lognormal(2.0, 0.6), 18.0, 0.7),
        };
        let care = received - care_gap.floor() as i32;
        let delay = (g.lognormal(median * g.slowness, sigma)).round() as i32;
        let mut paid = Some(g.next_open(received + delay));
        if paid.is_some_and(|p| p > g.horizon) || g.chance(0.015) {
            paid = None; // unpaid at extraction
        }
        let amount = match kind {
            "FSE" => g.lognormal(25.0, 0.8),
            "FSP" => g.lognormal(40.0, 0.9),
            _ => g.lognormal(450.0, 0.7),
        };
        rows.id("claim_id", b'C', g.year, n, 7);
        rows.text("caisse_id", Some(&g.caisse.caisse_id));
        rows.text("kind", Some(kind));
        rows.day("care_date", if g.chance(0.01) { None } else { Some(care) });
        rows.day("received_date", Some(received));
        rows.day("paid_date", paid);
        rows.float("amount", Some((amount * 100.0).round() / 100.0));
        let tp = kind == "FSE" && g.chance(0.45);
        rows.bool("tiers_payant", if kind == "IJ" { None } else { Some(tp) });
        rows.text(
            "handled_by",
            if g.caisse.organism == "CAMIEG" {
                delegate.as_deref()
            } else {
                None
            },
        );
    }
}

fn pensions(g: &mut Gen, rows: &mut Rows) {
    if !g.is(&["CNAV", "CAVIMAC", "CRPCEN"]) {
        return;
    }
    // The online share grows by about 8 points a year from 2020.
    let online = (0.45 + 0.08 * f64::from(g.year - 2020)).clamp(0.2, 0.95);
    rows.expect((g.volume / 8).max(10));
    for n in 0..(g.volume / 8).max(10) {
        let right = match g.rng.random::<f64>() {
            x if x < 0.72 => "droit_propre",
            x if x < 0.92 => "droit_derive",
            _ => "aspa",
        };
        let filed = g.day(false);
        // People file ahead of their start date; survivors and ASPA after the event.
        let effective = match right {
            "droit_propre" => {
                let later =
                    calendar::add_months(filed, g.rng.random_range(1..7)).expect("in range");
                first_day_of_month(later) // a pension starts on the 1st of a month
            }
            _ => filed - g.rng.random_range(0..60),
        };
        let completion = g.lognormal(25.0 * g.slowness, 0.9).round() as i32;
        let complete = if g.chance(0.04) {
            None
        } else {
            Some(filed + completion)
        };
        let ready = complete.unwrap_or(filed + 200).max(effective);
        let notify = ready + g.lognormal(20.0 * g.slowness, 0.8).round() as i32;
        let payment_delay = g.lognormal(25.0 * g.slowness, 0.7).round() as i32;
        let pay = g.next_open(ready + payment_delay);
        let (notified, first_paid) = if complete.is_none() {
            (None, None)
        } else {
            (
                (notify <= g.horizon).then_some(notify),
                (pay <= g.horizon && !g.chance(0.02)).then_some(pay),
            )
        };
        rows.id("pension_id", b'P', g.year, n, 6);
        rows.text("caisse_id", Some(&g.caisse.caisse_id));
        rows.text("right_type", Some(right));
        rows.day("filed_date", Some(filed));
        rows.day("complete_date", complete);
        rows.day("effective_date", Some(effective));
        rows.day("notified_date", notified);
        rows.day("first_paid_date", first_paid);
        let channel = if g.chance(online) { "online" } else { "paper" };
        rows.text("channel", Some(channel));
        rows.float(
            "monthly_amount",
            Some((g.lognormal(1_100.0, 0.5) * 100.0).round() / 100.0),
        );
    }
}

fn calls(g: &mut Gen, rows: &mut Rows) {
    let reached = (0.93 - 0.08 * (g.slowness - 1.0)).clamp(0.5, 0.97);
    rows.expect(g.volume);
    for n in 0..g.volume {
        let day = g.day(false);
        let seconds = g.rng.random_range(8 * 3600 + 1800..17 * 3600);
        let outcome = if g.chance(0.05) {
            "welcome_hangup"
        } else if g.chance(reached) {
            if g.chance(0.15) { "ivr_info" } else { "agent" }
        } else if g.chance(0.4) {
            "deflected"
        } else {
            "abandoned"
        };
        let wait = match outcome {
            "agent" | "abandoned" => Some(g.lognormal(90.0 * g.slowness, 0.9).round() as i64),
            _ => None,
        };
        let talk = (outcome == "agent").then(|| g.lognormal(240.0, 0.6).round() as i64);
        rows.id("call_id", b'T', g.year, n, 7);
        rows.text("caisse_id", Some(&g.caisse.caisse_id));
        rows.micros(
            "arrived_at",
            Some(i64::from(day) * 86_400_000_000 + i64::from(seconds) * 1_000_000),
        );
        rows.text("outcome", Some(outcome));
        rows.int("wait_seconds", wait);
        rows.int("talk_seconds", talk);
    }
}

fn reclamations(g: &mut Gen, rows: &mut Rows) {
    let branches: &[&str] = match g.caisse.organism.as_str() {
        "CNAM" => &["maladie", "maladie", "maladie", "affiliation"],
        "CNAV" => &["retraite", "retraite", "action_sociale"],
        "CAVIMAC" => &["maladie", "retraite", "affiliation", "recouvrement"],
        "CRPCEN" => &["maladie", "retraite"],
        _ => &["maladie", "affiliation"],
    };
    const CHANNELS: &[&str] = &["courrier", "email", "telephone", "accueil", "web"];
    rows.expect((g.volume / 10).max(10));
    for n in 0..(g.volume / 10).max(10) {
        let received = g.day(true);
        let branch = branches[g.rng.random_range(0..branches.len())];
        let calendar_days = g.lognormal(6.0 * g.slowness, 0.8).round() as i32;
        let mut closed = Some(received + calendar_days);
        if closed.is_some_and(|c| c > g.horizon) || g.chance(0.03) {
            closed = None; // still open at extraction
        }
        rows.id("reclamation_id", b'R', g.year, n, 6);
        rows.text("caisse_id", Some(&g.caisse.caisse_id));
        rows.text("branch", Some(branch));
        let channel = CHANNELS[g.rng.random_range(0..CHANNELS.len())];
        rows.text("channel", Some(channel));
        rows.day("received_date", Some(received));
        rows.day("closed_date", closed);
    }
}

fn emails(g: &mut Gen, rows: &mut Rows) {
    rows.expect((g.volume / 4).max(10));
    for n in 0..(g.volume / 4).max(10) {
        let day = g.day(false);
        let received =
            i64::from(day) * 86_400_000_000 + g.rng.random_range(0..86_400i64) * 1_000_000;
        let spam = g.chance(0.06);
        let hours = g.lognormal(26.0 * g.slowness, 0.8);
        let answer = received + (hours * 3_600_000_000.0) as i64;
        let answered =
            !spam && !g.chance(0.04) && answer <= i64::from(g.horizon + 1) * 86_400_000_000;
        rows.id("email_id", b'M', g.year, n, 6);
        rows.text("caisse_id", Some(&g.caisse.caisse_id));
        rows.micros("received_at", Some(received));
        rows.micros("first_response_at", answered.then_some(answer));
        rows.bool("is_spam", Some(spam));
    }
}

/// Size of a caisse: ETP by organism (a CPAM or a Carsat is far larger than Cavimac).
fn etp_of(g: &Gen) -> f64 {
    let base = match g.caisse.organism.as_str() {
        "CNAM" => 1_400.0,
        "CNAV" => 1_200.0,
        "CRPCEN" => 280.0,
        "CAMIEG" => 220.0,
        _ => 110.0,
    };
    // A stable size per caisse (from its traits), drifting down 1 % a year.
    let mut traits = ChaCha8Rng::seed_from_u64(mix(0, &["size", &g.caisse.caisse_id]));
    base * (0.6 + 0.8 * traits.random::<f64>()) * 0.99f64.powi(g.year - 2020)
}

fn staff(g: &mut Gen, rows: &mut Rows) {
    let etp = (etp_of(g) * 10.0).round() / 10.0;
    let trained = (etp * (0.55 + 0.35 * g.rng.random::<f64>())).round() as i64;
    let theoretical = (etp * 1_607.0).round();
    let absence =
        (theoretical * 0.011 * g.slowness.sqrt() * (0.8 + 0.4 * g.rng.random::<f64>())).round();
    rows.text("caisse_id", Some(&g.caisse.caisse_id));
    rows.int("year", Some(i64::from(g.year)));
    rows.float("etp", Some(etp));
    rows.int("trained_headcount", Some(trained));
    rows.float("absence_hours_short", Some(absence));
    rows.float("theoretical_hours", Some(theoretical));
}

fn costs(g: &mut Gen, rows: &mut Rows) {
    let etp = etp_of(g);
    // Slower caisses also cost more per unit of activity.
    let management = etp * 72_000.0 * (0.9 + 0.2 * g.rng.random::<f64>()) * g.slowness.sqrt();
    let activity = etp * 520.0 * (0.85 + 0.3 * g.rng.random::<f64>());
    let benefits = management * (18.0 + 10.0 * g.rng.random::<f64>());
    rows.text("caisse_id", Some(&g.caisse.caisse_id));
    rows.int("year", Some(i64::from(g.year)));
    rows.float("management_cost", Some(management.round()));
    rows.float("benefits_amount", Some(benefits.round()));
    rows.float("activity_units", Some(activity.round()));
}

fn controls(g: &mut Gen, rows: &mut Rows) {
    let branches: &[&str] = match g.caisse.organism.as_str() {
        "CNAM" | "CAMIEG" => &["maladie"],
        "CNAV" => &["retraite"],
        _ => &["maladie", "retraite"],
    };
    rows.expect((g.volume / 20).max(10));
    for n in 0..(g.volume / 20).max(10) {
        let branch = branches[g.rng.random_range(0..branches.len())];
        let amount = (g.lognormal(900.0, 1.0) * 100.0).round() / 100.0;
        let anomaly = g.chance(0.025 * g.slowness);
        let error = if anomaly {
            (amount * g.rng.random_range(0.05..0.6) * 100.0).round() / 100.0
        } else {
            0.0
        };
        rows.id("control_id", b'Q', g.year, n, 5);
        rows.text("caisse_id", Some(&g.caisse.caisse_id));
        rows.text("branch", Some(branch));
        rows.text(
            "file_type",
            Some(if branch == "maladie" {
                "IJ"
            } else {
                "droit_propre"
            }),
        );
        rows.day("control_date", Some(g.day(false)));
        rows.float("amount_controlled", Some(amount));
        rows.float("error_amount", Some(error));
        rows.bool("has_financial_anomaly", Some(anomaly));
    }
}

fn overpayments(g: &mut Gen, rows: &mut Rows) {
    let branch = if g.caisse.organism == "CNAV" {
        "retraite"
    } else {
        "maladie"
    };
    rows.expect((g.volume / 40).max(10));
    for n in 0..(g.volume / 40).max(10) {
        let fraudulent = g.chance(0.08);
        let amount =
            (g.lognormal(if fraudulent { 4_000.0 } else { 600.0 }, 1.0) * 100.0).round() / 100.0;
        let share = if fraudulent {
            0.5
        } else {
            (1.0 - 0.05 * g.slowness).clamp(0.5, 1.0)
        };
        let recovered = if g.chance(share) {
            amount
        } else {
            (amount * g.rng.random::<f64>() * 100.0).round() / 100.0
        };
        rows.id("overpayment_id", b'I', g.year, n, 5);
        rows.text("caisse_id", Some(&g.caisse.caisse_id));
        rows.text("branch", Some(branch));
        rows.day("detected_date", Some(g.day(false)));
        rows.float("amount", Some(amount));
        rows.float("recovered_amount", Some(recovered));
        rows.bool("fraudulent", Some(fraudulent));
    }
}

fn contributions(g: &mut Gen, rows: &mut Rows) {
    // Régimes that collect their own contributions.
    if !g.is(&["CAVIMAC", "CRPCEN", "CAMIEG"]) {
        return;
    }
    let due = (etp_of(g) * 400_000.0).round();
    let collected = (due * (1.0 - 0.006 * g.slowness * (0.5 + g.rng.random::<f64>()))).round();
    rows.text("caisse_id", Some(&g.caisse.caisse_id));
    rows.int("year", Some(i64::from(g.year)));
    rows.float("amount_due", Some(due));
    rows.float("amount_collected", Some(collected));
}

fn satisfaction(g: &mut Gen, rows: &mut Rows) {
    const CHANNELS: &[&str] = &[
        "email",
        "telephone",
        "internet",
        "accueil",
        "courrier",
        "global",
    ];
    let satisfied = (0.93 - 0.05 * (g.slowness - 1.0)).clamp(0.5, 0.98);
    rows.expect((g.volume / 10).max(10));
    for n in 0..(g.volume / 10).max(10) {
        let channel = CHANNELS[g.rng.random_range(0..CHANNELS.len())];
        let score = if g.chance(satisfied) {
            if g.chance(0.45) { 4 } else { 3 }
        } else if g.chance(0.6) {
            2
        } else {
            1
        };
        rows.id("response_id", b'S', g.year, n, 5);
        rows.text("caisse_id", Some(&g.caisse.caisse_id));
        rows.day("survey_date", Some(g.day(false)));
        rows.text("channel", Some(channel));
        rows.int("score", Some(score));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organisms_and_alsace_moselle() {
        let c = caisses(12);
        assert_eq!(c.len(), 12);
        assert_eq!(c.iter().filter(|c| c.organism == "CNAM").count(), 6);
        assert_eq!(c.iter().filter(|c| c.organism == "CNAV").count(), 3);
        assert!(c.iter().any(|c| c.alsace_moselle && c.organism == "CNAM"));
        assert!(c.iter().any(|c| c.alsace_moselle && c.organism == "CNAV"));
        for single in ["CAVIMAC", "CRPCEN", "CAMIEG"] {
            assert_eq!(c.iter().filter(|c| c.organism == single).count(), 1);
        }
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let (a, b, c) = (
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
        );
        let small = GenerateOptions {
            caisses: 6,
            years: vec![2024],
            rows_per_caisse: 200,
            ..Default::default()
        };
        generate(a.path(), &small).unwrap();
        generate(b.path(), &small).unwrap();
        generate(
            c.path(),
            &GenerateOptions {
                seed: 2,
                ..small.clone()
            },
        )
        .unwrap();
        let read = |d: &Path| std::fs::read(d.join("claims/year=2024/part-0.parquet")).unwrap();
        assert_eq!(read(a.path()), read(b.path()));
        assert_ne!(read(a.path()), read(c.path()));
    }

    #[test]
    fn ids_are_written_as_format_would() {
        let mut rows = Rows::default();
        let cases = [
            (b'C', 2024, 42, 7),
            (b'Q', 2023, 1_234_567, 5),
            (b'S', 2024, 0, 5),
        ];
        for (prefix, year, n, width) in cases {
            rows.id("id", prefix, year, n, width);
        }
        rows.id("id", b'P', 812, 3, 6); // a year of 3 digits goes through format!
        let expected = [
            "C2024-0000042",
            "Q2023-1234567",
            "S2024-00000",
            "P812-000003",
        ];
        for (row, want) in expected.iter().enumerate() {
            assert_eq!(rows.get_text("id", row).as_deref(), Some(*want));
        }
    }

    #[test]
    fn mix_separates_parts() {
        assert_ne!(mix(1, &["ab", "c"]), mix(1, &["a", "bc"]));
        assert_ne!(mix(1, &["a"]), mix(2, &["a"]));
    }
}
