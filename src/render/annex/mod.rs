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
//! Tables B and E are split into the annex's sections by the indicators' theme tags
//! (indicators-v2 §1.8), in the annex's order. Their objectives are printed as the annex
//! prints them: a number (`≥ 92,00 %`), « Indicateur de suivi » for a monitoring indicator,
//! the document's words for a text target (« À définir »), and for a target relative to the
//! organism's own results the words followed by the threshold they resolve to
//! (« Résultat 2008 + 0,25 point → ≥ 93,05 % »).
//!
//! Over 600 lines: one builder per annex table (A, B, C, E) over the same cell index and
//! formats, read side by side against the annex's layouts (`docs/bi.md`).

pub mod html;
pub mod xlsx;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use datafusion::arrow::array::{Float64Array, Int32Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::assess::benchmark::{BenchmarkRow, RankRow};
use crate::model::{
    BENCH, Catalogue, Indicator, IndicatorValue, Level, Objective, Op, Target, Theme, Unit,
};

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
            Unit::Count | Unit::Kwh => Format::Integer,
            Unit::Pt => Format::Decimal2,
            Unit::M2 | Unit::KwhM2 => Format::Decimal1,
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
    /// An objective relative to the indicator's own results, as printed (« Résultat 2008 +
    /// 0,25 point »), with its threshold once resolved.
    Change(String, Option<(Op, f64, Format)>),
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
            Cell::Objective(op, v, f) => objective_text(*op, *v, *f),
            Cell::Change(text, None) => text.clone(),
            Cell::Change(text, Some((op, v, f))) => {
                format!("{text} → {}", objective_text(*op, *v, *f))
            }
            Cell::Met(true) => "atteint".into(),
            Cell::Met(false) => "non atteint".into(),
            Cell::Masked => "s".into(),
        }
    }

    /// The raw number behind the cell, for the Parquet rendering.
    pub fn number(&self) -> Option<f64> {
        match self {
            Cell::Number(v, _) | Cell::Objective(_, v, _) | Cell::Change(_, Some((_, v, _))) => {
                Some(*v)
            }
            _ => None,
        }
    }
}

/// `≥ 92,00 %`.
fn objective_text(op: Op, value: f64, format: Format) -> String {
    let op = match op {
        Op::Ge => "≥",
        Op::Le => "≤",
        Op::Lt => "<",
        Op::Gt => ">",
        Op::Eq => "=",
    };
    format!("{op}\u{a0}{}", format.french(value))
}

/// What the annex prints for a monitoring indicator (annex note 5).
pub const MONITORING: &str = "Indicateur de suivi";

/// A row: the organism (printed on its first row only in the renderings), the indicator label,
/// and the cells under the value columns; in tables B and E, the annex section it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub organism: String,
    pub indicator: String,
    pub cells: Vec<Cell>,
    pub total: bool,
    /// The section heading (the theme's, indicators-v2 §1.8); `None` in tables A and C.
    pub section: Option<String>,
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
        let previous = i
            .checked_sub(1)
            .map(|p| &self.rows[p])
            .filter(|p| p.section == row.section);
        if self.grouped_by_indicator {
            let same = previous.is_some_and(|p| p.indicator == row.indicator);
            (&row.organism, if same { "" } else { &row.indicator })
        } else {
            let same = previous.is_some_and(|p| p.organism == row.organism);
            (if same { "" } else { &row.organism }, &row.indicator)
        }
    }

    /// The section heading printed above row `i`: its section's, on the section's first row.
    pub fn section_start(&self, i: usize) -> Option<&str> {
        let row = &self.rows[i];
        let previous = i.checked_sub(1).map(|p| &self.rows[p]);
        match (&row.section, previous) {
            (Some(s), Some(p)) if p.section.as_ref() == Some(s) => None,
            (Some(s), _) => Some(s),
            (None, _) => None,
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
        table_e(input, &cells, &organisms),
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

/// One row of an organism's COG indicators: a (definition, breakdown value) with targets
/// under one number of one document.
struct CogRow<'a> {
    indicator: &'a Indicator,
    dimension: Option<&'a str>,
    number: &'a str,
    document: &'a str,
    /// The years of the document's convention.
    period: (i32, i32),
    /// The annex section of the row.
    theme: Theme,
}

impl<'a> CogRow<'a> {
    /// This row's target of `year`.
    fn target(&self, catalogue: &'a Catalogue, organism: &str, year: i32) -> Option<&'a Target> {
        catalogue.targets.iter().find(|t| {
            t.organism == organism
                && t.indicator == self.indicator.id
                && t.definition == self.indicator.definition
                && t.dimension_value.as_deref() == self.dimension
                && t.number == self.number
                && t.document == self.document
                && t.year == year
        })
    }

    fn label(&self) -> String {
        match self.dimension {
            Some(d) => format!("{} — {d} (n°{})", self.indicator.label_fr, self.number),
            None => format!("{} (n°{})", self.indicator.label_fr, self.number),
        }
    }
}

/// An organism's COG indicators, in the order of its targets files: every (definition,
/// breakdown value, number, document) it has a target for in any year.
fn cog_indicators<'a>(catalogue: &'a Catalogue, organism: &str) -> Vec<CogRow<'a>> {
    let mut out: Vec<CogRow> = Vec::new();
    for t in catalogue.targets.iter().filter(|t| t.organism == organism) {
        let dimension = t.dimension_value.as_deref();
        if out.iter().any(|r| {
            r.indicator.id == t.indicator
                && r.indicator.definition == t.definition
                && r.dimension == dimension
                && r.number == t.number
                && r.document == t.document
        }) {
            continue;
        }
        if let Some(ind) = catalogue
            .indicators
            .iter()
            .find(|i| i.id == t.indicator && i.definition == t.definition)
        {
            out.push(CogRow {
                indicator: ind,
                dimension,
                number: &t.number,
                document: &t.document,
                period: t.period,
                theme: t.theme.unwrap_or_else(|| catalogue.theme_of(&ind.id)),
            });
        }
    }
    out
}

/// The COG rows of table B for year N: those of the organism's convention in force at N, i.e.
/// of its document whose period started last at or before N (the earliest when none had).
fn rows_in_force<'a>(rows: Vec<CogRow<'a>>, n: i32) -> Vec<CogRow<'a>> {
    let starts: BTreeSet<i32> = rows.iter().map(|r| r.period.0).collect();
    let start = starts
        .iter()
        .rev()
        .find(|s| **s <= n)
        .or_else(|| starts.iter().next())
        .copied();
    rows.into_iter()
        .filter(|r| Some(r.period.0) == start)
        .collect()
}

/// The cell of an objective. `resolved` is its threshold once resolved (from the value of the
/// year, or from the base values), for the forms relative to the indicator's own results.
fn objective_cell(t: &Target, unit: Unit, resolved: Option<(Op, f64)>) -> Cell {
    let format = Format::of_unit(unit);
    match &t.objective {
        Objective::Text => Cell::Text(t.text.clone()),
        Objective::Monitoring => Cell::Text(MONITORING.into()),
        Objective::Conditions(_) => match t.fixed() {
            Some((op, v)) => Cell::Objective(op, v, format),
            None => Cell::Change(t.text.clone(), resolved.map(|(op, v)| (op, v, format))),
        },
    }
}

/// The threshold of a target relative to the organism's own results, from its base values
/// (table E, where year N may have no value yet): the binding condition when every condition
/// resolves.
fn resolve_from_bases(
    t: &Target,
    cells: &Cells,
    row: &CogRow,
    organism: &str,
) -> Option<(Op, f64)> {
    let value_at = |y: i32| {
        cells
            .get(
                &row.indicator.id,
                &row.indicator.definition,
                organism,
                row.dimension,
                y,
            )
            .map(|v| v.value)
    };
    let mut best: Option<(Op, f64)> = None;
    for c in t.conditions() {
        let threshold = c.threshold.resolve(t.year, value_at)?;
        best = match best {
            Some(b) if !c.op.binds_over(threshold, b) => Some(b),
            _ => Some((c.op, threshold)),
        };
    }
    best
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
                section: None,
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
                section: None,
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
    let catalogue = input.catalogue;
    let mut rows = Vec::new();
    // The annex's sections in order, each grouped by organism (indicators-v2 §1.8).
    for theme in Theme::ALL {
        for organism in organisms {
            for cog in rows_in_force(cog_indicators(catalogue, organism), n) {
                if cog.theme != theme {
                    continue;
                }
                let (ind, dimension) = (cog.indicator, cog.dimension);
                let target = cog.target(catalogue, organism, n);
                let value = cells.get(&ind.id, &ind.definition, organism, dimension, n);
                let resolved = value.and_then(|v| {
                    let op = v.target_op.as_deref().and_then(op_of)?;
                    Some((op, v.target?))
                });
                let objective = target.map_or(Cell::Text("—".into()), |t| {
                    objective_cell(t, ind.unit, resolved)
                });
                let met = match (value, target) {
                    (Some(v), Some(_)) if v.suppressed => Cell::Masked,
                    (Some(v), Some(_)) => v.target_met.map_or(Cell::Empty, Cell::Met),
                    _ => Cell::Empty,
                };
                rows.push(Row {
                    organism: organism.clone(),
                    indicator: cog.label(),
                    cells: vec![
                        cells.cell(ind, organism, dimension, n - 1),
                        cells.cell(ind, organism, dimension, n),
                        objective,
                        met,
                    ],
                    total: false,
                    section: Some(theme.label_fr().to_string()),
                });
            }
        }
    }
    Table {
        key: "B",
        title: "Résultats des indicateurs des conventions d'objectifs et de gestion".into(),
        organism_header: String::new(),
        indicator_header: "Indicateurs COG".into(),
        columns: vec![format!("Résultats {}", n - 1), format!("Résultats {n}"), format!("Objectifs {n}"), "Objectif".into()],
        rows,
        notes: vec![
            "Résultats calculés selon la définition de chaque COG (variante de l'organisme lorsqu'elle diffère de la définition harmonisée).".into(),
            "Indicateur de suivi : indicateur de suivi de la COG, qui n'a pas fait l'objet d'un objectif cible déterminé. Un objectif relatif aux résultats de l'organisme est imprimé tel que la COG l'écrit, suivi du seuil qui en résulte.".into(),
        ],
        grouped_by_indicator: false,
    }
}

/// The operator of `indicator_values.target_op`.
fn op_of(text: &str) -> Option<Op> {
    [Op::Ge, Op::Le, Op::Lt, Op::Gt, Op::Eq]
        .into_iter()
        .find(|op| op.as_str() == text)
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
            section: None,
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

fn table_e(input: &AnnexInput, cells: &Cells, organisms: &[String]) -> Table {
    let catalogue = input.catalogue;
    let years: BTreeSet<i32> = catalogue.targets.iter().map(|t| t.year).collect();
    let mut rows = Vec::new();
    for theme in Theme::ALL {
        for organism in organisms {
            for cog in cog_indicators(catalogue, organism) {
                if cog.theme != theme {
                    continue;
                }
                let (first, last) = cog.period;
                let row_cells = years
                    .iter()
                    .map(|&y| {
                        if y < first || y > last {
                            return Cell::Grey;
                        }
                        cog.target(catalogue, organism, y).map_or(Cell::Empty, |t| {
                            let resolved = resolve_from_bases(t, cells, &cog, organism);
                            objective_cell(t, cog.indicator.unit, resolved)
                        })
                    })
                    .collect();
                rows.push(Row {
                    organism: organism.clone(),
                    indicator: cog.label(),
                    cells: row_cells,
                    total: false,
                    section: Some(theme.label_fr().to_string()),
                });
            }
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
            "Un objectif relatif aux résultats de l'organisme est imprimé tel que la COG l'écrit, suivi du seuil qui en résulte lorsque le résultat de référence est connu.".into(),
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
        Field::new("section", DataType::Utf8, true),
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
    let mut section = vec![];
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
            section.push(row.section.as_deref());
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
            Arc::new(StringArray::from(section)),
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
