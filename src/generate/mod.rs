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

use datafusion::parquet::basic::Compression;
use datafusion::parquet::file::properties::{EnabledStatistics, WriterProperties};
use datafusion::parquet::schema::types::ColumnPath;
use serde::Serialize;

use crate::contract::{self, LogicalType, TableSpec};
use crate::ingest::{Caisse, reference};

mod rows;
mod tables;

pub use rows::ROW_GROUP_ROWS;
use rows::{Breaks, Rows};
use tables::{Gen, TABLES, Table};

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
            extract_date: None,
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
            extract_date: None,
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
            extract_date: None,
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
    // Chunks of (table, year, group of caisses) are generated and written in parallel; each
    // caisse has its own random stream and each chunk its own stream for invalid rows, so the
    // bytes do not depend on the number of threads. A file holds about FILE_ROWS claims.
    let per_file = (FILE_ROWS / options.rows_per_caisse.max(1)).clamp(1, caisses.len());
    let groups: Vec<&[Caisse]> = caisses.chunks(per_file).collect();
    let mut chunks = Vec::new();
    for table in &TABLES {
        for &year in &options.years {
            for (group, members) in groups.iter().enumerate() {
                chunks.push(ChunkSpec {
                    table,
                    year,
                    group,
                    first: group * per_file,
                    members: members.len(),
                });
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
                    let Some(chunk) = chunks.get(i) else {
                        return;
                    };
                    let done = generate_chunk(dir, options, &caisses, chunk);
                    *results[i].lock().expect("chunk slot") = Some(done);
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

/// Claims per file, about: big tables are split into files of a realistic size.
const FILE_ROWS: usize = 1 << 20;

/// One file to generate: a table's rows for a year and a group of caisses.
struct ChunkSpec {
    table: &'static Table,
    year: i32,
    /// Index of the group, and of its first caisse and its number of caisses.
    group: usize,
    first: usize,
    members: usize,
}

/// One written file of the dataset.
struct Chunk {
    table: &'static str,
    rows: u64,
    invalid: BTreeMap<String, u64>,
    file: String,
}

/// Generates and writes one file; `None` when its caisses have no row of the table.
fn generate_chunk(
    dir: &Path,
    options: &GenerateOptions,
    caisses: &[Caisse],
    chunk: &ChunkSpec,
) -> std::io::Result<Option<Chunk>> {
    let (table, year) = (chunk.table, chunk.year);
    let spec = table.spec;
    let mut streams: Vec<(Gen, usize)> = (chunk.first..chunk.first + chunk.members)
        .map(|index| {
            let g = Gen::new(options, spec.name, index, year, &caisses[index], caisses);
            let rows = (table.rows)(&g);
            (g, rows)
        })
        .collect();
    let total: usize = streams.iter().map(|(_, rows)| rows).sum();
    if total == 0 {
        return Ok(None);
    }
    let breaks = Breaks::plan(spec, options, year, chunk.group, total);
    let invalid = breaks.counts.clone();
    let file = format!("{}/year={year}/part-{}.parquet", spec.name, chunk.group);
    let path = dir.join(&file);
    std::fs::create_dir_all(path.parent().expect("has a parent"))?;
    let mut rows = Rows::create(&path, spec, total, breaks, writer_properties(spec))?;
    for (g, count) in &mut streams {
        if *count > 0 {
            (table.fill)(g, &mut rows, *count);
        }
    }
    rows.finish()?;
    Ok(Some(Chunk {
        table: spec.name,
        rows: total as u64,
        invalid,
        file,
    }))
}

/// Parquet settings of a generated file: Snappy, row groups of [`ROW_GROUP_ROWS`] rows
/// (public for the `write_floor` example, which times the writing alone).
pub fn writer_properties(spec: &TableSpec) -> WriterProperties {
    let mut props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_created_by("parangon generate".into());
    // Record ids, amounts and time stamps are (nearly) unique: a dictionary would only be
    // tried and abandoned, so they are written plain; codes, caisses and dates keep one.
    let id = match spec.key {
        contract::RecordKey::Id(id) => Some(id),
        contract::RecordKey::CaisseYear => None,
    };
    for c in spec.columns {
        if matches!(c.ty, LogicalType::Float | LogicalType::Timestamp) || id == Some(c.name) {
            props = props.set_column_dictionary_enabled(ColumnPath::from(c.name), false);
        }
    }
    // No min/max for the record id: no reader prunes on it, and comparing every id string
    // with the page's bounds was a tenth of the writing (perf).
    if let Some(id) = id {
        props = props.set_column_statistics_enabled(ColumnPath::from(id), EnabledStatistics::None);
    }
    props.build()
}

/// Mixes the seed with names into a sub-seed (FNV-1a then a SplitMix64 finaliser).
pub(super) fn mix(seed: u64, parts: &[&str]) -> u64 {
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
    fn mix_separates_parts() {
        assert_ne!(mix(1, &["ab", "c"]), mix(1, &["a", "bc"]));
        assert_ne!(mix(1, &["a"]), mix(2, &["a"]));
    }
}
