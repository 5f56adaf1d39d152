//! From a table's cube to indicator values at every level and period.
//!
//! The conventions are those of the catalogue conventions (`docs/indicators.md`): a level pools the records of
//! its caisses (sums of numerators over sums of denominators, a percentile over all their
//! records — never a mean of caisse rates); a year pools its months unless the definition says
//! otherwise (COG variants that average monthly values); a P90 is the nearest rank.
//! All sums are exact integers (counts, whole days, or euros in millionths), so the result does
//! not depend on the order rows were read in.

use std::collections::{BTreeMap, HashMap};

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Decimal128Type, Int64Type};

use super::as_of::TableAsOf;
use super::plan::{Aggregate, Numeric, Slot, TablePlan};
use crate::error::ComputeError;
use crate::ingest::Reference;
use crate::model::{Indicator, IndicatorValue, Level, Method, YearRollup, nearest_rank};

/// Sums are carried in millionths so that euros with cents and whole days add up exactly.
const MICRO: i128 = 1_000_000;

/// Additive accumulator of one cell.
#[derive(Debug, Clone, Default)]
struct Acc {
    records: i64,
    sum: i128,
    ratio_numerator: i128,
    ratio_denominator: i128,
    histogram: BTreeMap<i64, i64>,
    /// Distinct units (`distinct`), each a (caisse, unit) pair packed in a u64 so that units
    /// of two caisses never merge (keys are unique within a caisse only), with whether one of
    /// the unit's records met the condition (a share over units).
    units: BTreeMap<u64, bool>,
    /// A share with a deadline: its records not meeting the condition, by deadline day (in
    /// `records` until [`Acc::split_pending`] takes the pending ones out).
    unmet_by_deadline: BTreeMap<i64, i64>,
    /// Records left out as pending at the caisse's as-of date.
    pending: i64,
}

impl Acc {
    fn merge(&mut self, other: &Acc) {
        self.records += other.records;
        self.sum += other.sum;
        self.ratio_numerator += other.ratio_numerator;
        self.ratio_denominator += other.ratio_denominator;
        for (v, c) in &other.histogram {
            *self.histogram.entry(*v).or_default() += c;
        }
        for (u, met) in &other.units {
            *self.units.entry(*u).or_default() |= met;
        }
        for (v, c) in &other.unmet_by_deadline {
            *self.unmet_by_deadline.entry(*v).or_default() += c;
        }
        self.pending += other.pending;
    }

    /// Takes the pending records out of a caisse's cell: those not meeting the condition whose
    /// deadline day is after the as-of date `as_of` (indicators-v2 §1.1). They leave the
    /// denominator (the records) and were never in the numerator. Without an as-of date,
    /// every unmet record has failed.
    fn split_pending(&mut self, as_of: Option<i32>) {
        let Some(a) = as_of else {
            return;
        };
        let pending: i64 = self
            .unmet_by_deadline
            .range(i64::from(a) + 1..)
            .map(|(_, c)| c)
            .sum();
        self.records -= pending;
        self.pending += pending;
        self.unmet_by_deadline.clear();
    }

    /// The cell's value by the indicator's method; `None` when it is undefined (no record, or a
    /// zero denominator).
    fn evaluate(&self, rule: Rule) -> Option<Evaluated> {
        let Rule {
            method,
            scale,
            quantile,
            by_unit,
        } = rule;
        if by_unit {
            return self.evaluate_units(method);
        }
        let sum = self.sum as f64 / MICRO as f64;
        let n = self.records;
        let cell = |numerator, value| Evaluated {
            numerator,
            denominator: Some(n as f64),
            value,
            n_records: n,
        };
        match method {
            Method::Mean => (n > 0).then(|| cell(Some(sum), sum / n as f64)),
            Method::Share => (n > 0).then(|| cell(Some(sum), 100.0 * sum / n as f64)),
            Method::Sum => (n > 0).then(|| cell(Some(sum), scale * sum)),
            Method::Ratio => (self.ratio_denominator != 0).then(|| {
                let a = self.ratio_numerator as f64 / MICRO as f64;
                let b = self.ratio_denominator as f64 / MICRO as f64;
                Evaluated {
                    numerator: Some(a),
                    denominator: Some(b),
                    value: scale * a / b,
                    n_records: n,
                }
            }),
            Method::P90 | Method::Quantile => {
                nearest_rank_value(&self.histogram, quantile).map(|v| cell(None, v as f64))
            }
            Method::Count => (n > 0).then(|| cell(Some(n as f64), n as f64)),
            Method::CountDistinct => None, // by unit
            // Derived indicators are computed from values (`compute::derived`), not cells.
            Method::Complement | Method::Yoy | Method::Dispersion | Method::CaissesMeeting => None,
        }
    }

    /// A count of distinct units, or a share over units: value, numerator, denominator and
    /// n_records count units (the records behind them are `records`).
    fn evaluate_units(&self, method: Method) -> Option<Evaluated> {
        let units = self.units.len() as i64;
        if units == 0 {
            return None;
        }
        let met = self.units.values().filter(|&&m| m).count() as i64;
        Some(match method {
            Method::Share => Evaluated {
                numerator: Some(met as f64),
                denominator: Some(units as f64),
                value: 100.0 * met as f64 / units as f64,
                n_records: units,
            },
            _ => Evaluated {
                numerator: Some(units as f64),
                denominator: Some(self.records as f64),
                value: units as f64,
                n_records: units,
            },
        })
    }
}

/// How a definition turns a cell into a value.
#[derive(Debug, Clone, Copy)]
struct Rule {
    method: Method,
    scale: f64,
    /// P90 and quantiles: q in ten-thousandths.
    quantile: u32,
    /// `count_distinct` or a share over units.
    by_unit: bool,
}

impl Rule {
    fn of(def: &Indicator) -> Rule {
        Rule {
            method: def.method,
            scale: def.scale.unwrap_or(1.0),
            quantile: def.quantile_basis().unwrap_or(0),
            by_unit: def.method == Method::CountDistinct || def.distinct.is_some(),
        }
    }
}

/// The nearest-rank quantile q = `basis` / 10 000 of the values of `histogram` (value →
/// records): the value of rank ⌈q × n⌉, always one of the values (indicators-v2 §1.3).
pub fn nearest_rank_value(histogram: &BTreeMap<i64, i64>, basis: u32) -> Option<i64> {
    let n: i64 = histogram.values().sum();
    if n <= 0 {
        return None;
    }
    let rank = nearest_rank(n as u64, basis).max(1) as i64;
    let mut cumulative = 0;
    for (value, count) in histogram {
        cumulative += count;
        if cumulative >= rank {
            return Some(*value);
        }
    }
    None
}

/// An evaluated cell: the numeric columns of an `indicator_values` row.
#[derive(Debug, Clone, Copy)]
struct Evaluated {
    numerator: Option<f64>,
    denominator: Option<f64>,
    value: f64,
    n_records: i64,
}

/// A breakdown value: (index of the breakdown in the definition's `dimensions`, interned
/// value). `None` is the whole.
type Dim = Option<(u16, u32)>;

/// (caisse index, period `yyyymm`, breakdown value or whole): the first grouping of the cube.
/// Each breakdown has cells of its own and the whole has its own: they are never crossed.
type BaseKey = (u32, i32, Dim);

/// Where a pooled value goes: one row of `indicator_values` before evaluation.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct ValueKey {
    level: Level,
    /// Caisse index, organism index, or 0 for the nation.
    entity: u32,
    /// Breakdown and interned value; `None` for the whole.
    dimension: Dim,
    year: i32,
    /// `None` for the year.
    month: Option<i32>,
}

/// Interned breakdown values (`maladie`, `telephone`…), shared by every table of a run.
#[derive(Debug, Default)]
pub struct Interner {
    values: Vec<String>,
    index: HashMap<String, u32>,
}

impl Interner {
    /// The index of a value, allocating only the first time it is seen.
    fn intern(&mut self, v: &str) -> u32 {
        if let Some(&i) = self.index.get(v) {
            return i;
        }
        self.values.push(v.to_string());
        let i = (self.values.len() - 1) as u32;
        self.index.insert(v.to_string(), i);
        i
    }
}

/// One indicator's (or one side's) accumulators by caisse, month and breakdown value.
#[derive(Debug, Clone, Default)]
pub struct Base(HashMap<BaseKey, Acc>);

impl Base {
    /// The inner join of a ratio's two sides on (caisse, period): a caisse-year counts only
    /// when both its numerator and its denominator are known (costs ⋈ staff), even when one
    /// of them is 0. The records of the result are the numerator side's rows.
    pub fn join_ratio(numerator: Base, denominator: &Base) -> Base {
        let mut joined = HashMap::new();
        for (key, mut acc) in numerator.0 {
            if let Some(den) = denominator.0.get(&key) {
                acc.ratio_denominator = den.ratio_denominator;
                joined.insert(key, acc);
            }
        }
        Base(joined)
    }
}

/// The cube of rows that were counted in a table's cube but are duplicates found afterwards
/// (the deferred duplicate check of a large table, `crate::ingest`), by cube cell: their
/// measures are subtracted from the cube's before anything reads it. Every measure is a count
/// or an exact sum, so the difference is the cube the in-memory check would have given: a
/// cell left with no row has only zero measures, which [`base_cells`] skips as it skips the
/// cells that do not exist.
#[derive(Debug, Default)]
pub struct Deductions(HashMap<CubeKey, Vec<i128>>);

/// The grouping values of a cube row: caisse and keys.
type CubeKey = (String, Vec<Option<KeyValue>>);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum KeyValue {
    Int(i64),
    Text(String),
}

impl Deductions {
    pub fn read(plan: &TablePlan, cube: &[RecordBatch]) -> Result<Self, ComputeError> {
        let mut cells: HashMap<CubeKey, Vec<i128>> = HashMap::new();
        for batch in cube {
            let columns = CubeColumns::read(plan, batch)?;
            for row in 0..batch.num_rows() {
                let cell = cells
                    .entry(columns.key(row))
                    .or_insert_with(|| vec![0; plan.measures.len()]);
                for (m, total) in cell.iter_mut().enumerate() {
                    *total += columns.measure(m, row).unwrap_or(0);
                }
            }
        }
        Ok(Self(cells))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Reads the cube of `plan`, less `deductions`: one [`Base`] per compiled indicator, in the
/// plan's order.
pub fn base_cells(
    plan: &TablePlan,
    cube: &[RecordBatch],
    mut deductions: Deductions,
    reference: &Reference,
    interner: &mut Interner,
) -> Result<Vec<Base>, ComputeError> {
    // Step 1: per indicator, cube rows → (caisse, period, dimension value) accumulators.
    let mut base: Vec<Base> = vec![Base::default(); plan.indicators.len()];
    // The whole and each breakdown value of the row, per indicator (reused).
    let mut dims: Vec<Dim> = Vec::new();
    // Distinct units of this table, interned (a unit is a caisse's: see `Acc::units`).
    let mut unit_ids = Interner::default();
    for batch in cube {
        let mut columns = CubeColumns::read(plan, batch)?;
        if !deductions.is_empty() {
            columns.deduct(&mut deductions);
        }
        for row in 0..batch.num_rows() {
            let caisse_id = columns.caisse.value(row);
            let Some(caisse) = reference.index_of(caisse_id) else {
                continue; // cannot happen: ingest rejected unknown caisses
            };
            for (ind, cells) in plan.indicators.iter().zip(base.iter_mut()) {
                dims.clear();
                if ind.def.produces_whole() {
                    dims.push(None);
                }
                for (i, &k) in ind.dimension_keys.iter().enumerate() {
                    if let Some(v) = columns.text_key(k, row) {
                        dims.push(Some((i as u16, interner.intern(v))));
                    }
                }
                for &dimension in &dims {
                    for c in &ind.contributions {
                        let (Some(period), Some(value)) = (
                            columns.int_key(c.period_key, row),
                            columns.measure(c.measure, row),
                        ) else {
                            continue;
                        };
                        if value == 0 {
                            continue;
                        }
                        let acc = cells
                            .0
                            .entry((caisse as u32, period as i32, dimension))
                            .or_default();
                        match c.slot {
                            Slot::Records => acc.records += value as i64,
                            Slot::Sum => acc.sum += value,
                            Slot::RatioNumerator => acc.ratio_numerator += value,
                            Slot::RatioDenominator => acc.ratio_denominator += value,
                        }
                    }
                    if let Some(p) = ind.pending
                        && let (Some(day), Some(count), Some(period)) = (
                            columns.int_key(p.day_key, row),
                            columns.measure(p.count_measure, row),
                            columns.int_key(p.period_key, row),
                        )
                        && count != 0
                    {
                        let acc = cells
                            .0
                            .entry((caisse as u32, period as i32, dimension))
                            .or_default();
                        *acc.unmet_by_deadline.entry(day).or_default() += count as i64;
                    }
                    if let Some(h) = ind.histogram {
                        let (Some(v), Some(count), Some(period)) = (
                            columns.int_key(h.value_key, row),
                            columns.measure(h.count_measure, row),
                            columns.int_key(h.period_key, row),
                        ) else {
                            continue;
                        };
                        if count == 0 {
                            continue;
                        }
                        let acc = cells
                            .0
                            .entry((caisse as u32, period as i32, dimension))
                            .or_default();
                        acc.records += count as i64;
                        *acc.histogram.entry(v).or_default() += count as i64;
                    }
                    if let Some(u) = ind.units
                        && let (Some(unit), Some(records), Some(period)) = (
                            columns.text_key(u.unit_key, row),
                            columns.measure(u.records_measure, row),
                            columns.int_key(u.period_key, row),
                        )
                        && records != 0
                    {
                        let met = u
                            .met_measure
                            .and_then(|m| columns.measure(m, row))
                            .is_some_and(|m| m > 0);
                        let id = unit_ids.intern(unit);
                        let acc = cells
                            .0
                            .entry((caisse as u32, period as i32, dimension))
                            .or_default();
                        acc.records += records as i64;
                        *acc.units
                            .entry((u64::from(caisse as u32) << 32) | u64::from(id))
                            .or_default() |= met;
                    }
                }
            }
        }
    }
    if !deductions.is_empty() {
        // Each duplicate was streamed once, so its cell is in the cube: a bug otherwise.
        return Err(ComputeError::Query {
            table: plan.table.clone(),
            source: datafusion::error::DataFusionError::Execution(format!(
                "{} cells of duplicate rows are not in the cube (a parangon bug: please report it)",
                deductions.0.len()
            )),
        });
    }
    Ok(base)
}

/// Rolls one indicator's base cells up to its levels, breakdown totals, months and years.
/// `as_of`: each caisse's as-of date in the indicator's table, which leaves pending records
/// out, drops the periods that start after it and flags those that end after it
/// (indicators-v2 §1.1, §9.3: a pooled value pools the caisses whose own value for the
/// period is produced, and is provisional when one of them is).
pub fn expand(
    def: &Indicator,
    base: Base,
    reference: &Reference,
    interner: &Interner,
    years: &[i32],
    as_of: &TableAsOf,
) -> Vec<IndicatorValue> {
    let organisms = reference.organisms();
    let organism_of: Vec<u32> = reference
        .caisses
        .iter()
        .map(|c| organisms.binary_search(&c.organism).expect("listed") as u32)
        .collect();
    let dimension_values = &interner.values;
    let breakdowns = def.breakdowns();
    let mut out = Vec::new();
    {
        let cells = base.0;
        let pooled_year = def.year_rollup == YearRollup::Pooled;
        let mut rolled: BTreeMap<ValueKey, Acc> = BTreeMap::new();
        // Pending records and the provisional flag of every cell, months and years alike.
        let mut flags: BTreeMap<ValueKey, (i64, bool)> = BTreeMap::new();
        for ((caisse, period, dimension), mut acc) in cells {
            let (year, month) = (period / 100, period % 100);
            if !years.is_empty() && !years.contains(&year) {
                continue;
            }
            let caisse_as_of = as_of.date(caisse as usize);
            acc.split_pending(caisse_as_of);
            let mut entities = vec![
                (Level::Caisse, caisse),
                (Level::Organism, organism_of[caisse as usize]),
            ];
            if def.organism_scope().is_none() {
                entities.push((Level::National, 0));
            }
            // The base cell is the whole or one breakdown value already (`base_cells`).
            let dimensions = [dimension];
            let mut months = Vec::new();
            if month != 0 {
                months.push(Some(month));
            }
            if pooled_year || month == 0 {
                months.push(None);
            }
            // The periods the cell goes to, produced at the caisse's as-of date, with their
            // provisional flag; a year made of its months keeps the flags of the year itself.
            let mut flagged: Vec<(Option<i32>, bool, bool)> = Vec::new();
            for month in months.iter().copied().chain(std::iter::once(None)) {
                let (produced, provisional) =
                    super::as_of::period_status(caisse_as_of, year, month);
                if produced && !flagged.iter().any(|f| f.0 == month) {
                    flagged.push((month, provisional, months.contains(&month)));
                }
            }
            for &(level, entity) in &entities {
                for &dimension in &dimensions {
                    for &(month, provisional, pooled) in &flagged {
                        let cell = ValueKey {
                            level,
                            entity,
                            dimension,
                            year,
                            month,
                        };
                        let flag = flags.entry(cell.clone()).or_default();
                        flag.0 += acc.pending;
                        flag.1 |= provisional;
                        if pooled {
                            rolled.entry(cell).or_default().merge(&acc);
                        }
                    }
                }
            }
        }
        let rule = Rule::of(def);
        let mut values: BTreeMap<ValueKey, Evaluated> = rolled
            .iter()
            .filter_map(|(cell, acc)| acc.evaluate(rule).map(|v| (cell.clone(), v)))
            .collect();
        if !pooled_year {
            values.extend(years_from_months(&values, def.year_rollup));
        }
        for (cell, e) in values {
            let (pending, provisional) = flags.get(&cell).copied().unwrap_or_default();
            let (caisse_id, organism) = match cell.level {
                Level::Caisse => {
                    let c = &reference.caisses[cell.entity as usize];
                    (Some(c.caisse_id.clone()), Some(c.organism.clone()))
                }
                Level::Organism => (None, Some(organisms[cell.entity as usize].clone())),
                Level::National => (None, None),
            };
            out.push(IndicatorValue {
                indicator_id: def.id.clone(),
                definition: def.definition.clone(),
                level: cell.level,
                caisse_id,
                organism,
                dimension: cell
                    .dimension
                    .map(|(i, _)| breakdowns[usize::from(i)].to_string()),
                dimension_value: cell
                    .dimension
                    .map(|(_, d)| dimension_values[d as usize].clone()),
                year: cell.year,
                month: cell.month,
                numerator: e.numerator,
                denominator: e.denominator,
                value: e.value,
                unit: def.unit,
                n_records: e.n_records,
                target_op: None,
                target: None,
                target_met: None,
                suppressed: false,
                target_kind: None,
                target_text: None,
                n_pending: def.deadline.as_ref().map(|_| pending),
                provisional,
            });
        }
    }
    out
}

/// Yearly values of a variant that averages its monthly values (CRPCEN: unweighted mean of the
/// monthly means; Camieg: monthly P90s weighted by their monthly record counts).
fn years_from_months(
    months: &BTreeMap<ValueKey, Evaluated>,
    rollup: YearRollup,
) -> Vec<(ValueKey, Evaluated)> {
    let mut by_year: BTreeMap<ValueKey, Vec<(f64, i64)>> = BTreeMap::new();
    for (cell, e) in months {
        if cell.month.is_some() {
            let year_cell = ValueKey {
                month: None,
                ..cell.clone()
            };
            by_year
                .entry(year_cell)
                .or_default()
                .push((e.value, e.n_records));
        }
    }
    by_year
        .into_iter()
        .filter_map(|(cell, monthly)| {
            let records: i64 = monthly.iter().map(|(_, n)| n).sum();
            let value = match rollup {
                YearRollup::MeanOfMonths => {
                    monthly.iter().map(|(v, _)| v).sum::<f64>() / monthly.len() as f64
                }
                YearRollup::WeightedMeanOfMonths => {
                    if records == 0 {
                        return None;
                    }
                    monthly.iter().map(|(v, n)| v * *n as f64).sum::<f64>() / records as f64
                }
                YearRollup::Pooled => unreachable!("pooled years are summed, not averaged"),
            };
            let evaluated = Evaluated {
                numerator: None,
                denominator: Some(records as f64),
                value,
                n_records: records,
            };
            Some((cell, evaluated))
        })
        .collect()
}

/// Typed access to the cube's columns.
struct CubeColumns {
    caisse: datafusion::arrow::array::StringArray,
    keys: Vec<KeyColumn>,
    measures: Vec<Vec<Option<i128>>>,
}

enum KeyColumn {
    Int(datafusion::arrow::array::Int64Array),
    Text(datafusion::arrow::array::StringArray),
}

impl CubeColumns {
    fn read(plan: &TablePlan, batch: &RecordBatch) -> Result<Self, ComputeError> {
        let err = |e: datafusion::arrow::error::ArrowError| ComputeError::Query {
            table: plan.table.clone(),
            source: e.into(),
        };
        let text = |i: usize| -> Result<datafusion::arrow::array::StringArray, ComputeError> {
            Ok(cast(batch.column(i), &DataType::Utf8)
                .map_err(err)?
                .as_string::<i32>()
                .clone())
        };
        let caisse = text(0)?;
        let mut keys = Vec::with_capacity(plan.keys.len());
        for k in 0..plan.keys.len() {
            let column = batch.column(1 + k);
            keys.push(match column.data_type() {
                t if t.is_integer() => KeyColumn::Int(
                    cast(column, &DataType::Int64)
                        .map_err(err)?
                        .as_primitive::<Int64Type>()
                        .clone(),
                ),
                _ => KeyColumn::Text(text(1 + k)?),
            });
        }
        let mut measures = Vec::with_capacity(plan.measures.len());
        for (m, measure) in plan.measures.iter().enumerate() {
            let column = batch.column(1 + plan.keys.len() + m);
            let values: Vec<Option<i128>> =
                match (&measure.aggregate, &measure.numeric, column.data_type()) {
                    (Aggregate::Count, _, _) => cast(column, &DataType::Int64)
                        .map_err(err)?
                        .as_primitive::<Int64Type>()
                        .iter()
                        .map(|v| v.map(i128::from))
                        .collect(),
                    (Aggregate::Sum, Numeric::Integer, _) => cast(column, &DataType::Int64)
                        .map_err(err)?
                        .as_primitive::<Int64Type>()
                        .iter()
                        .map(|v| v.map(|v| i128::from(v) * MICRO))
                        .collect(),
                    (Aggregate::Sum, Numeric::Decimal, DataType::Decimal128(_, scale)) => {
                        let shift = 6 - i32::from(*scale);
                        column
                            .as_primitive::<Decimal128Type>()
                            .iter()
                            .map(|v| v.map(|v| rescale(v, shift)))
                            .collect()
                    }
                    (_, _, other) => {
                        return Err(ComputeError::Query {
                            table: plan.table.clone(),
                            source: datafusion::error::DataFusionError::Internal(format!(
                                "measure m{m} has unexpected type {other}"
                            )),
                        });
                    }
                };
            measures.push(values);
        }
        Ok(Self {
            caisse,
            keys,
            measures,
        })
    }

    fn int_key(&self, k: usize, row: usize) -> Option<i64> {
        match &self.keys[k] {
            KeyColumn::Int(a) => a.is_valid(row).then(|| a.value(row)),
            KeyColumn::Text(_) => None,
        }
    }

    fn text_key(&self, k: usize, row: usize) -> Option<&str> {
        match &self.keys[k] {
            KeyColumn::Text(a) => a.is_valid(row).then(|| a.value(row)),
            KeyColumn::Int(_) => None,
        }
    }

    fn measure(&self, m: usize, row: usize) -> Option<i128> {
        self.measures[m][row]
    }

    fn key(&self, row: usize) -> CubeKey {
        let keys = self
            .keys
            .iter()
            .map(|k| match k {
                KeyColumn::Int(a) => a.is_valid(row).then(|| KeyValue::Int(a.value(row))),
                KeyColumn::Text(a) => a
                    .is_valid(row)
                    .then(|| KeyValue::Text(a.value(row).to_string())),
            })
            .collect();
        (self.caisse.value(row).to_string(), keys)
    }

    /// Subtracts the deductions of this batch's cells (and removes them from `deductions`).
    fn deduct(&mut self, deductions: &mut Deductions) {
        for row in 0..self.caisse.len() {
            if let Some(less) = deductions.0.remove(&self.key(row)) {
                for (m, less) in less.into_iter().enumerate() {
                    let value = &mut self.measures[m][row];
                    *value = Some(value.unwrap_or(0) - less);
                }
            }
        }
    }
}

fn rescale(v: i128, shift: i32) -> i128 {
    match shift.cmp(&0) {
        std::cmp::Ordering::Equal => v,
        std::cmp::Ordering::Greater => v * 10i128.pow(shift as u32),
        std::cmp::Ordering::Less => v / 10i128.pow((-shift) as u32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 9th decile by nearest rank: the smallest v such that at least 90 % of the records
    /// have a value ≤ v (indicators.md, "9th decile"), i.e. the quantile q = 0.9 (`p90`).
    fn nearest_rank_p90(histogram: &BTreeMap<i64, i64>) -> Option<i64> {
        nearest_rank_value(histogram, 9000)
    }
    use crate::model::quantile_basis;

    fn hist(pairs: &[(i64, i64)]) -> BTreeMap<i64, i64> {
        pairs.iter().copied().collect()
    }

    #[test]
    fn p90_nearest_rank() {
        // 10 records 1..10: rank ceil(9) = 9 → 9.
        let h: BTreeMap<i64, i64> = (1..=10).map(|v| (v, 1)).collect();
        assert_eq!(nearest_rank_p90(&h), Some(9));
        // 11 records 1..11: rank ceil(9.9) = 10 → 10 (interpolation would give 10.0 too, but
        // 12 records 1..12: rank ceil(10.8) = 11 → 11, where interpolation gives 10.9).
        let h: BTreeMap<i64, i64> = (1..=12).map(|v| (v, 1)).collect();
        assert_eq!(nearest_rank_p90(&h), Some(11));
        // One record.
        assert_eq!(nearest_rank_p90(&hist(&[(4, 1)])), Some(4));
        // Ties: 9 records at 2 days, 1 at 30: rank 9 → 2.
        assert_eq!(nearest_rank_p90(&hist(&[(2, 9), (30, 1)])), Some(2));
        // 8 at 2 days, 2 at 30: rank 9 → 30.
        assert_eq!(nearest_rank_p90(&hist(&[(2, 8), (30, 2)])), Some(30));
        assert_eq!(nearest_rank_p90(&BTreeMap::new()), None);
    }

    #[test]
    fn quantiles_by_nearest_rank() {
        let one_to_ten: BTreeMap<i64, i64> = (1..=10).map(|v| (v, 1)).collect();
        let q = |h: &BTreeMap<i64, i64>, q: f64| nearest_rank_value(h, quantile_basis(q));
        // 1..10: q = 0.25 → rank ⌈2.5⌉ = 3 → 3; 0.5 → rank 5 → 5 (the lower median); 0.9 → 9.
        assert_eq!(q(&one_to_ten, 0.25), Some(3));
        assert_eq!(q(&one_to_ten, 0.5), Some(5));
        assert_eq!(q(&one_to_ten, 0.9), Some(9));
        // q = 1 is the maximum; the smallest q, 0.0001, the minimum (rank ⌈0.001⌉ = 1).
        assert_eq!(q(&one_to_ten, 1.0), Some(10));
        assert_eq!(q(&one_to_ten, 0.0001), Some(1));
        // n = 1: every quantile is the value.
        for x in [0.25, 0.5, 0.9, 1.0] {
            assert_eq!(q(&hist(&[(4, 1)]), x), Some(4));
        }
        // Ties: 8 records at 2 days, 2 at 30: ranks 3, 5 → 2; rank 9 → 30; rank 10 → 30.
        let ties = hist(&[(2, 8), (30, 2)]);
        assert_eq!(q(&ties, 0.25), Some(2));
        assert_eq!(q(&ties, 0.5), Some(2));
        assert_eq!(q(&ties, 0.8), Some(2)); // rank 8: the last 2
        assert_eq!(q(&ties, 0.9), Some(30));
        assert_eq!(q(&ties, 1.0), Some(30));
        // p90 is the quantile 0.9, on every histogram above.
        for h in [&one_to_ten, &ties, &hist(&[(4, 1)])] {
            assert_eq!(nearest_rank_p90(h), q(h, 0.9));
        }
        assert_eq!(q(&BTreeMap::new(), 0.5), None);
    }

    #[test]
    fn units_count_once_and_meet_when_one_record_does() {
        let rule = |method| Rule {
            method,
            scale: 1.0,
            quantile: 0,
            by_unit: true,
        };
        // A caisse's person (unit 1) in January (not met) and February (met), person 2 in
        // February (not met); the year is their union: 2 units, 1 met.
        let unit = |caisse: u64, u: u64| (caisse << 32) | u;
        let january = Acc {
            records: 1,
            units: [(unit(0, 1), false)].into(),
            ..Acc::default()
        };
        let february = Acc {
            records: 3,
            units: [(unit(0, 1), true), (unit(0, 2), false)].into(),
            ..Acc::default()
        };
        let mut year = Acc::default();
        year.merge(&january);
        year.merge(&february);
        let count = year.evaluate(rule(Method::CountDistinct)).unwrap();
        assert_eq!((count.value, count.n_records), (2.0, 2));
        assert_eq!((count.numerator, count.denominator), (Some(2.0), Some(4.0)));
        let share = year.evaluate(rule(Method::Share)).unwrap();
        assert_eq!(
            (share.value, share.numerator, share.denominator),
            (50.0, Some(1.0), Some(2.0))
        );
        // The same unit key at another caisse is another unit: the organism adds them.
        let other_caisse = Acc {
            records: 1,
            units: [(unit(1, 1), false)].into(),
            ..Acc::default()
        };
        year.merge(&other_caisse);
        let pooled = year.evaluate(rule(Method::Share)).unwrap();
        assert_eq!(
            (pooled.numerator, pooled.denominator),
            (Some(1.0), Some(3.0))
        );
        assert!(
            Acc::default()
                .evaluate(rule(Method::CountDistinct))
                .is_none()
        );
    }

    #[test]
    fn pending_records_leave_both_sides_and_periods_after_as_of_are_cut() {
        use super::super::as_of::AsOfSource;
        use crate::calendar::ymd;
        let def: Indicator = toml::from_str(
            r#"
id = "x"
label_fr = "x"
label_en = "x"
unit = "%"
direction = "higher"
origin = "test"
method = "share"
period_date = "received_date"
condition = "TRUE"
deadline = "received_date"
"#,
        )
        .unwrap();
        // One caisse. May 2026: 4 records, 2 met, 2 unmet whose deadlines are 25 and 31 May.
        // June 2026: 1 record, met.
        let mut may = Acc {
            records: 4,
            sum: 2 * MICRO,
            ..Acc::default()
        };
        may.unmet_by_deadline.insert(i64::from(ymd(2026, 5, 25)), 1);
        may.unmet_by_deadline.insert(i64::from(ymd(2026, 5, 31)), 1);
        let june = Acc {
            records: 1,
            sum: MICRO,
            ..Acc::default()
        };
        let base = || {
            Base(
                [
                    ((0, 202_605, None), may.clone()),
                    ((0, 202_606, None), june.clone()),
                ]
                .into_iter()
                .collect(),
            )
        };
        let caisse = crate::ingest::Caisse {
            caisse_id: "C".into(),
            name: "c".into(),
            organism: "O".into(),
            region: None,
            alsace_moselle: false,
            extract_date: None,
        };
        let reference = Reference::new(vec![caisse], "c.csv".into()).unwrap();
        let cell = |values: &[IndicatorValue], month: Option<i32>| {
            values
                .iter()
                .find(|v| v.level == Level::Caisse && v.month == month)
                .map(|v| (v.value, v.n_records, v.n_pending, v.provisional))
        };
        // A = 27 May: the 31 May deadline has not elapsed (pending), the 25 May one has
        // (failed). May: 2 met of 3, 1 pending, provisional. June starts after A: no value.
        // The year: May and June, 3 met of 4, 1 pending, provisional.
        let a = TableAsOf(vec![Some((ymd(2026, 5, 27), AsOfSource::Given))]);
        let values = expand(&def, base(), &reference, &Interner::default(), &[], &a);
        assert_eq!(
            cell(&values, Some(5)),
            Some((200.0 / 3.0, 3, Some(1), true))
        );
        assert_eq!(cell(&values, Some(6)), None);
        assert_eq!(cell(&values, None), Some((75.0, 4, Some(1), true)));
        // A = 31 May: both deadlines have elapsed; May is final (it ends on A).
        let a = TableAsOf(vec![Some((ymd(2026, 5, 31), AsOfSource::Option))]);
        let values = expand(&def, base(), &reference, &Interner::default(), &[], &a);
        assert_eq!(cell(&values, Some(5)), Some((50.0, 4, Some(0), false)));
        // No as-of date: every unmet record has failed, nothing is cut or provisional.
        let values = expand(
            &def,
            base(),
            &reference,
            &Interner::default(),
            &[],
            &TableAsOf::none(),
        );
        assert_eq!(cell(&values, Some(5)), Some((50.0, 4, Some(0), false)));
        assert_eq!(cell(&values, Some(6)), Some((100.0, 1, Some(0), false)));
        assert_eq!(cell(&values, None), Some((60.0, 5, Some(0), false)));
        // National: the same records.
        let national = values
            .iter()
            .find(|v| v.level == Level::National && v.month.is_none());
        assert_eq!(national.map(|v| v.value), Some(60.0));
    }

    #[test]
    fn rescale_decimals_to_micro() {
        assert_eq!(rescale(1234, 4), 12_340_000); // 12.34 at scale 2 → 12.34 million millionths
        assert_eq!(rescale(12_340_000, 0), 12_340_000);
        assert_eq!(rescale(1_234_000_000, -3), 1_234_000);
    }
}
