//! Render: the assessed values as the files a user reads — the result tables for BI tools
//! (`indicator_values`, `benchmark`, `benchmark_ranks`, `dim_indicator`, `dim_caisse`), the
//! rejects, and the performance annex (Parquet, Excel, HTML). Everything is encoded in memory
//! into a [`Publication`]; `crate::publish` then writes it all at once.

pub mod annex;
pub mod benchmark;
pub mod dimensions;
pub mod values;

use std::collections::{BTreeMap, BTreeSet};

use crate::assess::Assessment;
use crate::assess::benchmark::{BenchmarkRow, RankRow};
use crate::compute::TableRun;
use crate::error::PublishError;
use crate::ingest::Caisse;
use crate::model::{Catalogue, IndicatorValue};
use crate::publish::Publication;
use annex::AnnexInput;

/// Every result table of a run and the annex of year `annex_year`.
pub fn results(
    publication: &mut Publication,
    assessment: &Assessment,
    catalogue: &Catalogue,
    caisses: &[Caisse],
    annex_year: Option<i32>,
) -> Result<(), PublishError> {
    let mut by_year: BTreeMap<i32, Vec<IndicatorValue>> = BTreeMap::new();
    for v in &assessment.values {
        by_year.entry(v.year).or_default().push(v.clone());
    }
    for (year, rows) in &by_year {
        publication.add_parquet(
            &format!("indicator_values/year={year}/part-00000.parquet"),
            &values::to_batch(rows),
        )?;
    }
    derived(publication, assessment, catalogue, caisses, annex_year)
}

/// The rows each table sent to `rejects/`, with file, row, column and reason.
pub fn rejects(publication: &mut Publication, tables: &[TableRun]) -> Result<(), PublishError> {
    for t in tables {
        publication.add_parquet(
            &format!("rejects/{}/part-00000.parquet", t.table),
            &t.rejects.to_batch(),
        )?;
    }
    Ok(())
}

/// What derives from the values: benchmark, ranks, dimension tables, annex (`parangon annex`
/// renders these again from a published output).
pub fn derived(
    publication: &mut Publication,
    assessment: &Assessment,
    catalogue: &Catalogue,
    caisses: &[Caisse],
    annex_year: Option<i32>,
) -> Result<(), PublishError> {
    let rows: &[BenchmarkRow] = &assessment.benchmark;
    let ranks: &[RankRow] = &assessment.ranks;
    let years: BTreeSet<i32> = rows.iter().map(|r| r.year).collect();
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
        &dimensions::dim_indicator(catalogue),
    )?;
    publication.add_parquet(
        "dim_caisse/part-00000.parquet",
        &dimensions::dim_caisse(caisses),
    )?;
    let values = &assessment.values;
    let Some(year) = annex_year.or_else(|| annex::latest_year(values)) else {
        return Ok(());
    };
    let input = AnnexInput {
        values,
        benchmark: rows,
        ranks,
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
