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

use super::plan::{Aggregate, Numeric, Slot, TablePlan};
use crate::error::ComputeError;
use crate::ingest::Reference;
use crate::model::{Indicator, IndicatorValue, Level, Method, YearRollup};

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
    }

    /// The cell's value by the indicator's method; `None` when it is undefined (no record, or a
    /// zero denominator).
    fn evaluate(&self, method: Method, scale: f64) -> Option<Evaluated> {
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
            Method::P90 => nearest_rank_p90(&self.histogram).map(|v| cell(None, v as f64)),
            // Derived indicators are computed from values (`compute::derived`), not cells.
            Method::Complement | Method::Yoy | Method::Dispersion | Method::CaissesMeeting => None,
        }
    }
}

/// The 9th decile by nearest rank: the smallest v such that at least 90 % of the records have
/// a value ≤ v (indicators.md, "9th decile"). `histogram` maps values to record counts.
pub fn nearest_rank_p90(histogram: &BTreeMap<i64, i64>) -> Option<i64> {
    let n: i64 = histogram.values().sum();
    if n <= 0 {
        return None;
    }
    let rank = (9 * n + 9) / 10; // ceil(0.9 × n) in integers
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

/// (caisse index, period `yyyymm`, interned dimension value): the first grouping of the cube.
type BaseKey = (u32, i32, Option<u32>);

/// Where a pooled value goes: one row of `indicator_values` before evaluation.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct ValueKey {
    level: Level,
    /// Caisse index, organism index, or 0 for the nation.
    entity: u32,
    /// Interned dimension value; `None` for the whole.
    dimension: Option<u32>,
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
                let dimension = ind
                    .dimension_key
                    .and_then(|k| columns.text_key(k, row))
                    .map(|v| interner.intern(v));
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
pub fn expand(
    def: &Indicator,
    base: Base,
    reference: &Reference,
    interner: &Interner,
    years: &[i32],
) -> Vec<IndicatorValue> {
    let organisms = reference.organisms();
    let organism_of: Vec<u32> = reference
        .caisses
        .iter()
        .map(|c| organisms.binary_search(&c.organism).expect("listed") as u32)
        .collect();
    let dimension_values = &interner.values;
    let mut out = Vec::new();
    {
        let cells = base.0;
        let pooled_year = def.year_rollup == YearRollup::Pooled;
        let mut rolled: BTreeMap<ValueKey, Acc> = BTreeMap::new();
        for ((caisse, period, dimension), acc) in cells {
            let (year, month) = (period / 100, period % 100);
            if !years.is_empty() && !years.contains(&year) {
                continue;
            }
            let mut entities = vec![
                (Level::Caisse, caisse),
                (Level::Organism, organism_of[caisse as usize]),
            ];
            if def.organism_scope().is_none() {
                entities.push((Level::National, 0));
            }
            let mut dimensions = vec![None];
            if dimension.is_some() {
                dimensions.push(dimension);
            }
            let mut months = Vec::new();
            if month != 0 {
                months.push(Some(month));
            }
            if pooled_year || month == 0 {
                months.push(None);
            }
            for &(level, entity) in &entities {
                for &dimension in &dimensions {
                    for &month in &months {
                        let cell = ValueKey {
                            level,
                            entity,
                            dimension,
                            year,
                            month,
                        };
                        rolled.entry(cell).or_default().merge(&acc);
                    }
                }
            }
        }
        let scale = def.scale.unwrap_or(1.0);
        let mut values: BTreeMap<ValueKey, Evaluated> = rolled
            .iter()
            .filter_map(|(cell, acc)| acc.evaluate(def.method, scale).map(|v| (cell.clone(), v)))
            .collect();
        if !pooled_year {
            values.extend(years_from_months(&values, def.year_rollup));
        }
        for (cell, e) in values {
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
                dimension: cell.dimension.and(def.dimension.clone()),
                dimension_value: cell.dimension.map(|d| dimension_values[d as usize].clone()),
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
    fn rescale_decimals_to_micro() {
        assert_eq!(rescale(1234, 4), 12_340_000); // 12.34 at scale 2 → 12.34 million millionths
        assert_eq!(rescale(12_340_000, 0), 12_340_000);
        assert_eq!(rescale(1_234_000_000, -3), 1_234_000);
    }
}
