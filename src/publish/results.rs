//! The result tables of a run, as files: `indicator_values`, `benchmark`, `benchmark_ranks`,
//! the dimension tables for BI tools (`dim_indicator`, `dim_caisse`) and the annex — and the
//! reverse, reading `indicator_values` and `dim_caisse` back from an output folder so that
//! `parangon annex` can render again without recomputing.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, BooleanArray, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Int32Type, Int64Type, Schema};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::Publication;
use super::annex::{self, AnnexInput};
use crate::catalogue::{Catalogue, Unit};
use crate::compute::benchmark;
use crate::compute::{IndicatorValue, Level, values};
use crate::error::PublishError;
use crate::ingest::Caisse;

/// Adds every result table and the annex of year `annex_year` (default: the latest year).
pub fn add_results(
    publication: &mut Publication,
    values: &[IndicatorValue],
    catalogue: &Catalogue,
    caisses: &[Caisse],
    annex_year: Option<i32>,
) -> Result<(), PublishError> {
    let mut by_year: BTreeMap<i32, Vec<IndicatorValue>> = BTreeMap::new();
    for v in values {
        by_year.entry(v.year).or_default().push(v.clone());
    }
    for (year, rows) in &by_year {
        publication.add_parquet(
            &format!("indicator_values/year={year}/part-00000.parquet"),
            &values::to_batch(rows),
        )?;
    }
    add_derived(publication, values, catalogue, caisses, annex_year)
}

/// Adds what derives from the values: benchmark, ranks, dimension tables, annex.
pub fn add_derived(
    publication: &mut Publication,
    values: &[IndicatorValue],
    catalogue: &Catalogue,
    caisses: &[Caisse],
    annex_year: Option<i32>,
) -> Result<(), PublishError> {
    let (rows, ranks) = benchmark::benchmark(values, catalogue);
    let years: std::collections::BTreeSet<i32> = rows.iter().map(|r| r.year).collect();
    for year in years {
        let of_year: Vec<_> = rows.iter().filter(|r| r.year == year).cloned().collect();
        publication.add_parquet(
            &format!("benchmark/year={year}/part-00000.parquet"),
            &benchmark::to_batch(&of_year),
        )?;
        let ranks_of_year: Vec<_> = ranks.iter().filter(|r| r.year == year).cloned().collect();
        publication.add_parquet(
            &format!("benchmark_ranks/year={year}/part-00000.parquet"),
            &benchmark::ranks_to_batch(&ranks_of_year),
        )?;
    }
    publication.add_parquet(
        "dim_indicator/part-00000.parquet",
        &dim_indicator(catalogue),
    )?;
    publication.add_parquet("dim_caisse/part-00000.parquet", &dim_caisse(caisses))?;
    let Some(year) = annex_year.or_else(|| annex::latest_year(values)) else {
        return Ok(());
    };
    let input = AnnexInput {
        values,
        benchmark: &rows,
        ranks: &ranks,
        catalogue,
        year,
    };
    let tables = annex::tables(&input);
    for t in &tables {
        publication.add_parquet(
            &format!("annex/annex_{}.parquet", t.key.to_lowercase()),
            &annex::table_to_batch(t),
        )?;
    }
    let title = format!("Conventions d'objectifs et de gestion — parangonnage {year}");
    let xlsx = annex::xlsx::workbook(&tables, &title).map_err(|e| PublishError::Encode {
        what: "annex/annex.xlsx".into(),
        message: e.to_string(),
    })?;
    publication.add_bytes("annex/annex.xlsx", xlsx);
    publication.add_bytes(
        "annex/annex.html",
        annex::html::page(&input, &tables, &title).into_bytes(),
    );
    Ok(())
}

/// `dim_indicator`: labels and metadata, so BI tools show French or English names.
pub fn dim_indicator(catalogue: &Catalogue) -> RecordBatch {
    let i = &catalogue.indicators;
    let text = |f: fn(&crate::catalogue::Indicator) -> String| {
        Arc::new(StringArray::from_iter_values(i.iter().map(f))) as Arc<dyn Array>
    };
    let schema = Schema::new(
        [
            "indicator_id",
            "definition",
            "label_fr",
            "label_en",
            "unit",
            "direction",
            "domain",
            "method",
            "origin",
        ]
        .iter()
        .map(|n| Field::new(*n, DataType::Utf8, false))
        .collect::<Vec<_>>(),
    );
    RecordBatch::try_new(
        Arc::new(schema),
        vec![
            text(|x| x.id.clone()),
            text(|x| x.definition.clone()),
            text(|x| x.label_fr.clone()),
            text(|x| x.label_en.clone()),
            text(|x| x.unit.as_str().to_string()),
            text(|x| x.direction.as_str().to_string()),
            text(|x| x.table.clone()),
            text(|x| x.method.as_str().to_string()),
            text(|x| x.origin.clone()),
        ],
    )
    .expect("dim_indicator columns")
}

/// `dim_caisse`: the caisse → organism hierarchy, region and calendar.
pub fn dim_caisse(caisses: &[Caisse]) -> RecordBatch {
    let schema = Schema::new(vec![
        Field::new("caisse_id", DataType::Utf8, false),
        Field::new("name", DataType::Utf8, false),
        Field::new("organism", DataType::Utf8, false),
        Field::new("region", DataType::Utf8, true),
        Field::new("alsace_moselle", DataType::Boolean, false),
    ]);
    RecordBatch::try_new(
        Arc::new(schema),
        vec![
            Arc::new(StringArray::from_iter_values(
                caisses.iter().map(|c| c.caisse_id.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                caisses.iter().map(|c| c.name.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                caisses.iter().map(|c| c.organism.as_str()),
            )),
            Arc::new(StringArray::from_iter(
                caisses.iter().map(|c| c.region.as_deref()),
            )),
            Arc::new(BooleanArray::from(
                caisses.iter().map(|c| c.alsace_moselle).collect::<Vec<_>>(),
            )),
        ],
    )
    .expect("dim_caisse columns")
}

fn read_parquet(path: &Path) -> Result<Vec<RecordBatch>, PublishError> {
    let io = |e: std::io::Error| PublishError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let encode = |message: String| PublishError::Encode {
        what: path.display().to_string(),
        message,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| encode(e.to_string()))?
        .build()
        .map_err(|e| encode(e.to_string()))?
        .map(|b| b.map_err(|e| encode(e.to_string())))
        .collect()
}

/// Reads `indicator_values/year=*/part-*.parquet` of an output folder.
pub fn read_indicator_values(output: &Path) -> Result<Vec<IndicatorValue>, PublishError> {
    let dir = output.join("indicator_values");
    let io = |e: std::io::Error| PublishError::Io {
        path: dir.clone(),
        source: e,
    };
    let mut files = Vec::new();
    for year in std::fs::read_dir(&dir).map_err(io)? {
        let year = year.map_err(io)?.path();
        for part in std::fs::read_dir(&year).map_err(io)? {
            files.push(part.map_err(io)?.path());
        }
    }
    files.sort();
    let mut out = Vec::new();
    for file in files {
        for b in read_parquet(&file)? {
            let s = |name: &str| {
                b.column_by_name(name)
                    .expect("contract column")
                    .as_string::<i32>()
                    .clone()
            };
            let f = |name: &str| {
                b.column_by_name(name)
                    .expect("contract column")
                    .as_primitive::<Float64Type>()
                    .clone()
            };
            let (id, def, level, caisse, org, dim, dim_value, unit, op) = (
                s("indicator_id"),
                s("definition"),
                s("level"),
                s("caisse_id"),
                s("organism"),
                s("dimension"),
                s("dimension_value"),
                s("unit"),
                s("target_op"),
            );
            let (num, den, value, target) =
                (f("numerator"), f("denominator"), f("value"), f("target"));
            let year = b
                .column_by_name("year")
                .expect("year")
                .as_primitive::<Int32Type>()
                .clone();
            let month = b
                .column_by_name("month")
                .expect("month")
                .as_primitive::<Int32Type>()
                .clone();
            let n = b
                .column_by_name("n_records")
                .expect("n_records")
                .as_primitive::<Int64Type>()
                .clone();
            let met = b
                .column_by_name("target_met")
                .expect("target_met")
                .as_boolean()
                .clone();
            let suppressed = b
                .column_by_name("suppressed")
                .expect("suppressed")
                .as_boolean()
                .clone();
            let opt_s = |a: &StringArray, i: usize| a.is_valid(i).then(|| a.value(i).to_string());
            let opt_f = |a: &datafusion::arrow::array::Float64Array, i: usize| {
                a.is_valid(i).then(|| a.value(i))
            };
            for i in 0..b.num_rows() {
                out.push(IndicatorValue {
                    indicator_id: id.value(i).to_string(),
                    definition: def.value(i).to_string(),
                    level: match level.value(i) {
                        "caisse" => Level::Caisse,
                        "organism" => Level::Organism,
                        _ => Level::National,
                    },
                    caisse_id: opt_s(&caisse, i),
                    organism: opt_s(&org, i),
                    dimension: opt_s(&dim, i),
                    dimension_value: opt_s(&dim_value, i),
                    year: year.value(i),
                    month: month.is_valid(i).then(|| month.value(i)),
                    numerator: opt_f(&num, i),
                    denominator: opt_f(&den, i),
                    value: value.value(i),
                    unit: unit_of(unit.value(i)),
                    n_records: n.value(i),
                    target_op: opt_s(&op, i),
                    target: opt_f(&target, i),
                    target_met: met.is_valid(i).then(|| met.value(i)),
                    suppressed: suppressed.value(i),
                });
            }
        }
    }
    Ok(out)
}

/// Reads `dim_caisse` of an output folder.
pub fn read_dim_caisse(output: &Path) -> Result<Vec<Caisse>, PublishError> {
    let mut out = Vec::new();
    for b in read_parquet(&output.join("dim_caisse/part-00000.parquet"))? {
        let s = |name: &str| {
            b.column_by_name(name)
                .expect("dim_caisse column")
                .as_string::<i32>()
                .clone()
        };
        let (id, name, org, region) = (s("caisse_id"), s("name"), s("organism"), s("region"));
        let am = b
            .column_by_name("alsace_moselle")
            .expect("alsace_moselle")
            .as_boolean()
            .clone();
        for i in 0..b.num_rows() {
            out.push(Caisse {
                caisse_id: id.value(i).to_string(),
                name: name.value(i).to_string(),
                organism: org.value(i).to_string(),
                region: region.is_valid(i).then(|| region.value(i).to_string()),
                alsace_moselle: am.value(i),
            });
        }
    }
    Ok(out)
}

fn unit_of(text: &str) -> Unit {
    match text {
        "%" => Unit::Percent,
        "days" => Unit::Days,
        "eur" => Unit::Eur,
        "etp" => Unit::Etp,
        _ => Unit::Ratio,
    }
}
