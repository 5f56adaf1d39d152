//! The tables of the finance bill's performance annex (003_ac21d577bd9cb476.txt),
//! rebuilt from computed values, in three renderings from the same model: Parquet (raw numbers,
//! for BI), `annex.xlsx` ([`xlsx`]) and a self-contained `annex.html` with charts ([`html`]).
//!
//! - **A** — benchmark comparison: one row per organism, *Résultats N−1* and *Résultats N* of the
//!   harmonised (bench) indicators, plus the dispersion (σ / moyenne) of unit costs across each
//!   organism's local caisses;
//! - **B** — each organism's COG indicators: *Résultats N−1*, *Résultats N*, *Objectif N*, met;
//! - **C** — staff: ETP N−1 and N, variation N/N−1 and over four years, total row *Régime général*;
//! - **E** — multi-year targets over each COG's period (grey outside it).
//!
//! Values whose publication is suppressed (statistical confidentiality) are masked.
//!
//! Slightly over 600 lines: one builder per annex table (A, B, C, E) over the same cell index
//! and formats, read side by side against the annex's layouts (`docs/bi.md`).

pub mod html;
pub mod xlsx;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use datafusion::arrow::array::{Float64Array, Int32Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::assess::benchmark::{BenchmarkRow, RankRow};
use crate::model::{BENCH, Catalogue, Indicator, IndicatorValue, Level, Op, Target, Unit};

/// Organisms of the régime général, in the annex's order (its tables print CNAMTS, CNAF, CNAV,
/// ACOSS; the contract's codes are CNAM and URSSAF).
const REGIME_GENERAL: &[&str] = &["CNAM", "CNAMTS", "CNAF", "CNAV", "ACOSS", "URSSAF"];

/// How a number is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `12,58 %`
    Percent,
    /// `4,20` (days, ratios of the catalogue with decimals)
    Decimal2,
    /// `460,1`
    Decimal1,
    /// `97 717`
    Integer,
    /// `10 000,00 €`
    Euro,
}

impl Format {
    pub fn of_unit(unit: Unit) -> Format {
        match unit {
            Unit::Percent => Format::Percent,
            Unit::Days => Format::Decimal2,
            Unit::Eur => Format::Euro,
            Unit::Etp => Format::Integer,
            Unit::Ratio => Format::Decimal1,
            Unit::Count => Format::Integer,
            Unit::Pt => Format::Decimal2,
        }
    }

    /// French typography: decimal comma, no-break space between thousands and before % and €,
    /// a true minus sign.
    pub fn french(self, value: f64) -> String {
        let (decimals, suffix) = match self {
            Format::Percent => (2, "\u{a0}%"),
            Format::Decimal2 => (2, ""),
            Format::Decimal1 => (1, ""),
            Format::Integer => (0, ""),
            Format::Euro => (2, "\u{a0}€"),
        };
        format!("{}{suffix}", french_number(value, decimals))
    }
}

/// `-1234.567` with 2 decimals → `−1 234,57`.
pub fn french_number(value: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, value.abs());
    let (int, frac) = text
        .split_once('.')
        .map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            grouped.push('\u{a0}');
        }
        grouped.push(c);
    }
    let negative = value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0');
    let sign = if negative { "\u{2212}" } else { "" };
    match frac {
        Some(f) => format!("{sign}{grouped},{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// A cell of an annex table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    /// Outside the organism's COG period (*zone grisée*).
    Grey,
    Text(String),
    Number(f64, Format),
    /// A COG objective: operator and value.
    Objective(Op, f64, Format),
    /// Whether the objective is met.
    Met(bool),
    /// Not published (statistical confidentiality).
    Masked,
}

impl Cell {
    /// The text a reader sees.
    pub fn display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Grey => String::new(),
            Cell::Text(t) => t.clone(),
            Cell::Number(v, f) => f.french(*v),
            Cell::Objective(op, v, f) => {
                let op = match op {
                    Op::Ge => "≥",
                    Op::Le => "≤",
                    Op::Lt => "<",
                    Op::Gt => ">",
                    Op::Eq => "=",
                };
                format!("{op}\u{a0}{}", f.french(*v))
            }
            Cell::Met(true) => "atteint".into(),
            Cell::Met(false) => "non atteint".into(),
            Cell::Masked => "s".into(),
        }
    }

    /// The raw number behind the cell, for the Parquet rendering.
    pub fn number(&self) -> Option<f64> {
        match self {
            Cell::Number(v, _) | Cell::Objective(_, v, _) => Some(*v),
            _ => None,
        }
    }
}

/// A row: the organism (printed on its first row only in the renderings), the indicator label,
/// and the cells under the value columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub organism: String,
    pub indicator: String,
    pub cells: Vec<Cell>,
    pub total: bool,
}

/// One table of the annex.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// `A`, `B`, `C`, `E`.
    pub key: &'static str,
    pub title: String,
    /// Header of the label columns (organism, indicator) then of each value column.
    pub organism_header: String,
    pub indicator_header: String,
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
    pub notes: Vec<String>,
    /// Table A groups rows by indicator (its label printed once, organisms on every row); the
    /// others group by organism (printed once, indicators on every row).
    pub grouped_by_indicator: bool,
}

impl Table {
    /// The (organism, indicator) labels as printed on row `i`: the grouping label only on the
    /// first row of its group, as in the annex's merged cells.
    pub fn labels(&self, i: usize) -> (&str, &str) {
        let row = &self.rows[i];
        let previous = i.checked_sub(1).map(|p| &self.rows[p]);
        if self.grouped_by_indicator {
            let same = previous.is_some_and(|p| p.indicator == row.indicator);
            (&row.organism, if same { "" } else { &row.indicator })
        } else {
            let same = previous.is_some_and(|p| p.organism == row.organism);
            (if same { "" } else { &row.organism }, &row.indicator)
        }
    }

    /// Whether row `i` starts a group (a thicker rule above it).
    pub fn starts_group(&self, i: usize) -> bool {
        let (organism, indicator) = self.labels(i);
        if self.grouped_by_indicator {
            !indicator.is_empty()
        } else {
            !organism.is_empty()
        }
    }
}

/// What the annex is built from.
pub struct AnnexInput<'a> {
    pub values: &'a [IndicatorValue],
    pub benchmark: &'a [BenchmarkRow],
    pub ranks: &'a [RankRow],
    pub catalogue: &'a Catalogue,
    /// Year N.
    pub year: i32,
}

/// The four tables, in order A, B, C, E.
pub fn tables(input: &AnnexInput) -> Vec<Table> {
    let cells = Cells::index(input.values);
    let organisms = organism_order(input.values);
    vec![
        table_a(input, &cells, &organisms),
        table_b(input, &cells, &organisms),
        table_c(input, &cells, &organisms),
        table_e(input, &organisms),
    ]
}

/// The latest year with values: the default N.
pub fn latest_year(values: &[IndicatorValue]) -> Option<i32> {
    values.iter().map(|v| v.year).max()
}

/// Organisms in the annex order: the régime général first, then the others alphabetically.
fn organism_order(values: &[IndicatorValue]) -> Vec<String> {
    let present: BTreeSet<&str> = values
        .iter()
        .filter_map(|v| v.organism.as_deref())
        .collect();
    let mut out: Vec<String> = REGIME_GENERAL
        .iter()
        .filter(|o| present.contains(*o))
        .map(|o| o.to_string())
        .collect();
    out.extend(
        present
            .iter()
            .filter(|o| !REGIME_GENERAL.contains(o))
            .map(|o| o.to_string()),
    );
    out
}

/// Yearly organism-level values by (indicator, definition, organism, dimension value, year).
struct Cells<'a>(BTreeMap<(&'a str, &'a str, &'a str, Option<&'a str>, i32), &'a IndicatorValue>);

impl<'a> Cells<'a> {
    fn index(values: &'a [IndicatorValue]) -> Self {
        let mut map = BTreeMap::new();
        for v in values {
            if v.level == Level::Organism && v.month.is_none() {
                let organism = v.organism.as_deref().expect("organism level");
                map.insert(
                    (
                        v.indicator_id.as_str(),
                        v.definition.as_str(),
                        organism,
                        v.dimension_value.as_deref(),
                        v.year,
                    ),
                    v,
                );
            }
        }
        Cells(map)
    }

    fn get(
        &self,
        id: &str,
        definition: &str,
        organism: &str,
        dimension: Option<&str>,
        year: i32,
    ) -> Option<&'a IndicatorValue> {
        self.0
            .get(&(id, definition, organism, dimension, year))
            .copied()
    }

    fn cell(&self, ind: &Indicator, organism: &str, dimension: Option<&str>, year: i32) -> Cell {
        match self.get(&ind.id, &ind.definition, organism, dimension, year) {
            None => Cell::Empty,
            Some(v) if v.suppressed => Cell::Masked,
            Some(v) => Cell::Number(v.value, Format::of_unit(ind.unit)),
        }
    }
}

/// An organism's COG indicators, in the order of its targets file: every (definition, breakdown
/// value) it has a target for in any year, with the indicator's number in its document.
fn cog_indicators<'a>(
    catalogue: &'a Catalogue,
    organism: &str,
) -> Vec<(&'a Indicator, Option<&'a str>, &'a str)> {
    let mut out: Vec<(&Indicator, Option<&str>, &str)> = Vec::new();
    for t in catalogue.targets.iter().filter(|t| t.organism == organism) {
        let dimension = t.dimension_value.as_deref();
        if out
            .iter()
            .any(|(i, d, _)| i.id == t.indicator && i.definition == t.definition && *d == dimension)
        {
            continue;
        }
        if let Some(ind) = catalogue
            .indicators
            .iter()
            .find(|i| i.id == t.indicator && i.definition == t.definition)
        {
            out.push((ind, dimension, t.number.as_str()));
        }
    }
    out
}

fn table_a(input: &AnnexInput, cells: &Cells, organisms: &[String]) -> Table {
    let n = input.year;
    let mut rows = Vec::new();
    for ind in input
        .catalogue
        .indicators
        .iter()
        .filter(|i| i.definition == BENCH)
    {
        for organism in organisms {
            let now = cells.cell(ind, organism, None, n);
            let before = cells.cell(ind, organism, None, n - 1);
            if now == Cell::Empty && before == Cell::Empty {
                continue;
            }
            rows.push(Row {
                organism: organism.clone(),
                indicator: ind.label_fr.clone(),
                cells: vec![before, now],
                total: false,
            });
        }
    }
    // « Réduire les écarts de coûts entre organismes »: σ / moyenne of the local caisses' unit costs.
    let dispersion = "Dispersion des coûts unitaires de gestion des organismes locaux autour de la moyenne (en %)";
    for organism in organisms {
        let scope = format!("organism:{organism}");
        let cv = |year: i32| {
            input
                .benchmark
                .iter()
                .find(|b| {
                    b.indicator_id == "unit_cost"
                        && b.definition == BENCH
                        && b.year == year
                        && b.scope == scope
                })
                .map_or(Cell::Empty, |b| match b.cv {
                    // One caisse has no dispersion to speak of.
                    Some(cv) if b.n_caisses >= 2 => Cell::Number(100.0 * cv, Format::Percent),
                    _ => Cell::Text("—".into()),
                })
        };
        let (before, now) = (cv(n - 1), cv(n));
        if before != Cell::Empty || now != Cell::Empty {
            rows.push(Row {
                organism: organism.clone(),
                indicator: dispersion.into(),
                cells: vec![before, now],
                total: false,
            });
        }
    }
    Table {
        key: "A",
        title: "Indicateurs issus des travaux du groupe benchmarking".into(),
        organism_header: String::new(),
        indicator_header: "Indicateur issu des travaux du groupe benchmarking".into(),
        columns: vec![format!("Résultats {}", n - 1), format!("Résultats {n}")],
        rows,
        notes: vec![
            "Afin de favoriser les comparaisons, l'indicateur issu des travaux benchmarking a été préféré aux indicateurs COG propres à chaque branche.".into(),
            "Dans le cadre du benchmarking la dispersion est calculée par le rapport écart-type / moyenne.".into(),
        ],
        grouped_by_indicator: true,
    }
}

fn table_b(input: &AnnexInput, cells: &Cells, organisms: &[String]) -> Table {
    let n = input.year;
    let mut rows = Vec::new();
    for organism in organisms {
        for (ind, dimension, number) in cog_indicators(input.catalogue, organism) {
            let (id, definition) = (ind.id.as_str(), ind.definition.as_str());
            let target: Option<&Target> = input.catalogue.targets.iter().find(|t| {
                &t.organism == organism
                    && t.indicator == id
                    && t.definition == definition
                    && t.dimension_value.as_deref() == dimension
                    && t.year == n
            });
            let value = cells.get(id, definition, organism, dimension, n);
            let objective = target.map_or(Cell::Text("—".into()), |t| {
                Cell::Objective(t.op, t.value, Format::of_unit(ind.unit))
            });
            let met = match (value, target) {
                (Some(v), Some(_)) if v.suppressed => Cell::Masked,
                (Some(v), Some(_)) => v.target_met.map_or(Cell::Empty, Cell::Met),
                _ => Cell::Empty,
            };
            let label = match dimension {
                Some(d) => format!("{} — {d}", ind.label_fr),
                None => ind.label_fr.clone(),
            };
            rows.push(Row {
                organism: organism.clone(),
                indicator: format!("{label} (n°{number})"),
                cells: vec![
                    cells.cell(ind, organism, dimension, n - 1),
                    cells.cell(ind, organism, dimension, n),
                    objective,
                    met,
                ],
                total: false,
            });
        }
    }
    Table {
        key: "B",
        title: "Résultats des indicateurs des conventions d'objectifs et de gestion".into(),
        organism_header: String::new(),
        indicator_header: "Indicateurs COG".into(),
        columns: vec![format!("Résultats {}", n - 1), format!("Résultats {n}"), format!("Objectifs {n}"), "Objectif".into()],
        rows,
        notes: vec!["Résultats calculés selon la définition de chaque COG (variante de l'organisme lorsqu'elle diffère de la définition harmonisée).".into()],
        grouped_by_indicator: false,
    }
}

fn table_c(input: &AnnexInput, cells: &Cells, organisms: &[String]) -> Table {
    let n = input.year;
    // (value, suppressed): a masked ETP masks its variations and the total it enters.
    let etp = |organism: &str, year: i32| {
        cells
            .get("staff_etp", BENCH, organism, None, year)
            .map(|v| (v.value, v.suppressed))
    };
    let variation = |now: Option<(f64, bool)>, before: Option<(f64, bool)>| match (now, before) {
        (Some((_, true)), Some(_)) | (Some(_), Some((_, true))) => Cell::Masked,
        (Some((a, _)), Some((b, _))) if b != 0.0 => {
            Cell::Number(100.0 * (a / b - 1.0), Format::Percent)
        }
        _ => Cell::Text("—".into()),
    };
    let number = |v: Option<(f64, bool)>| match v {
        None => Cell::Empty,
        Some((_, true)) => Cell::Masked,
        Some((v, false)) => Cell::Number(v, Format::Integer),
    };
    let mut rows = Vec::new();
    let push = |rows: &mut Vec<Row>,
                label: &str,
                total: bool,
                series: &dyn Fn(i32) -> Option<(f64, bool)>| {
        if series(n).is_none() && series(n - 1).is_none() {
            return;
        }
        rows.push(Row {
            organism: label.to_string(),
            indicator: String::new(),
            cells: vec![
                number(series(n - 1)),
                number(series(n)),
                variation(series(n), series(n - 1)),
                variation(series(n), series(n - 4)),
            ],
            total,
        });
    };
    let general: Vec<&String> = organisms
        .iter()
        .filter(|o| REGIME_GENERAL.contains(&o.as_str()))
        .collect();
    for organism in &general {
        push(&mut rows, organism, false, &|y| etp(organism, y));
    }
    if !general.is_empty() {
        // The total of the régime général is the sum of its organisms (annex T4).
        let sum = |y: i32| -> Option<(f64, bool)> {
            let parts: Vec<(f64, bool)> = general.iter().filter_map(|o| etp(o, y)).collect();
            (parts.len() == general.len())
                .then(|| (parts.iter().map(|p| p.0).sum(), parts.iter().any(|p| p.1)))
        };
        push(&mut rows, "Régime général", true, &sum);
    }
    for organism in organisms
        .iter()
        .filter(|o| !REGIME_GENERAL.contains(&o.as_str()))
    {
        push(&mut rows, organism, false, &|y| etp(organism, y));
    }
    Table {
        key: "C",
        title: "ETP moyen annuel CDI + CDD".into(),
        organism_header: "ETP moyen annuel CDI + CDD".into(),
        indicator_header: String::new(),
        columns: vec![format!("{}", n - 1), format!("{n}"), format!("{}/{n}", n - 1), format!("{}/{n}", n - 4)],
        rows,
        notes: vec!["Variations en % ; la ligne Régime général est la somme des organismes du régime général.".into()],
        grouped_by_indicator: false,
    }
}

fn table_e(input: &AnnexInput, organisms: &[String]) -> Table {
    let targets = &input.catalogue.targets;
    let years: BTreeSet<i32> = targets.iter().map(|t| t.year).collect();
    let mut rows = Vec::new();
    for organism in organisms {
        let own: Vec<&Target> = targets.iter().filter(|t| &t.organism == organism).collect();
        let (Some(first), Some(last)) = (
            own.iter().map(|t| t.year).min(),
            own.iter().map(|t| t.year).max(),
        ) else {
            continue;
        };
        for (ind, dimension, number) in cog_indicators(input.catalogue, organism) {
            let (id, definition) = (ind.id.as_str(), ind.definition.as_str());
            let cells = years
                .iter()
                .map(|&y| {
                    if y < first || y > last {
                        return Cell::Grey;
                    }
                    own.iter()
                        .find(|t| {
                            t.indicator == id
                                && t.definition == definition
                                && t.dimension_value.as_deref() == dimension
                                && t.year == y
                        })
                        .map_or(Cell::Empty, |t| {
                            Cell::Objective(t.op, t.value, Format::of_unit(ind.unit))
                        })
                })
                .collect();
            let label = match dimension {
                Some(d) => format!("{} — {d} (n°{number})", ind.label_fr),
                None => format!("{} (n°{number})", ind.label_fr),
            };
            rows.push(Row {
                organism: organism.clone(),
                indicator: label,
                cells,
                total: false,
            });
        }
    }
    Table {
        key: "E",
        title: "Objectifs pluriannuels des conventions d'objectifs et de gestion".into(),
        organism_header: String::new(),
        indicator_header: "Indicateurs COG".into(),
        columns: years.iter().map(|y| y.to_string()).collect(),
        rows,
        notes: vec![
            "Zones grisées : années hors de la période de la convention de l'organisme.".into(),
        ],
        grouped_by_indicator: false,
    }
}

/// Long format for BI tools: one row per cell, raw number and French text side by side.
pub fn table_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("annex_table", DataType::Utf8, false),
        Field::new("row_number", DataType::Int32, false),
        Field::new("organism", DataType::Utf8, false),
        Field::new("indicator", DataType::Utf8, false),
        Field::new("column_number", DataType::Int32, false),
        Field::new("column", DataType::Utf8, false),
        Field::new("value", DataType::Float64, true),
        Field::new("text", DataType::Utf8, false),
    ]))
}

pub fn table_to_batch(table: &Table) -> RecordBatch {
    let (mut key, mut row_no, mut org, mut ind, mut col_no, mut col, mut value, mut text) = (
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
    );
    for (r, row) in table.rows.iter().enumerate() {
        for (c, cell) in row.cells.iter().enumerate() {
            key.push(table.key);
            row_no.push(r as i32 + 1);
            org.push(row.organism.as_str());
            ind.push(row.indicator.as_str());
            col_no.push(c as i32 + 1);
            col.push(table.columns[c].as_str());
            value.push(if *cell == Cell::Masked {
                None
            } else {
                cell.number()
            });
            text.push(cell.display());
        }
    }
    RecordBatch::try_new(
        table_schema(),
        vec![
            Arc::new(StringArray::from(key)),
            Arc::new(Int32Array::from(row_no)),
            Arc::new(StringArray::from(org)),
            Arc::new(StringArray::from(ind)),
            Arc::new(Int32Array::from(col_no)),
            Arc::new(StringArray::from(col)),
            Arc::new(Float64Array::from(value)),
            Arc::new(StringArray::from_iter_values(text)),
        ],
    )
    .expect("annex columns match their schema")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(s: String) -> String {
        s.replace('\u{a0}', " ").replace('\u{2212}', "-")
    }

    #[test]
    fn french_formats() {
        assert_eq!(plain(Format::Integer.french(97_717.0)), "97 717");
        assert_eq!(plain(Format::Integer.french(1_234_567.4)), "1 234 567");
        assert_eq!(plain(Format::Percent.french(12.58)), "12,58 %");
        assert_eq!(plain(Format::Percent.french(-1.399_96)), "-1,40 %");
        assert_eq!(Format::Percent.french(-1.399_96), "\u{2212}1,40\u{a0}%");
        assert_eq!(plain(Format::Decimal1.french(460.06)), "460,1");
        assert_eq!(plain(Format::Euro.french(10_000.0)), "10 000,00 €");
        // A negative value that rounds to zero prints without a sign.
        assert_eq!(plain(Format::Percent.french(-0.001)), "0,00 %");
    }
}
