//! Derived indicators (indicators-v2 §1.6 and §9.11–17): values computed from other
//! indicators' values, once every table is rolled up — never a second scan.
//!
//! | method | value | numerator / denominator / n_records | periods, levels |
//! |---|---|---|---|
//! | `complement` of x | 100 − x | den(x) − num(x) / den(x) / n(x) | as x |
//! | `yoy` of x | unit `%`: x(N) − x(N−1) (in `pt`); else 100 × (x(N) / x(N−1) − 1) (in `%`), none when x(N−1) = 0 | x(N) / x(N−1) / n(x, N) | years; breakdowns kept |
//! | `dispersion` of x | 100 × σ / μ of the caisse-level yearly values (population σ) | — / μ / caisses | years; organism only; none with < 2 caisses or μ ≤ 0 |
//! | `caisses_meeting` x op t | caisses whose yearly value of x (or of one breakdown value) meets op t, at 6 decimals | met / caisses with a value / caisses with a value | years; organism, and national for bench |
//!
//! `complement` and `yoy` read their input at the same key (level, caisse or organism,
//! breakdown, period); `dispersion` and `caisses_meeting` read the caisse-level values, whether
//! confidentiality later masks them or not (`crate::assess::confidentiality` applies their own
//! rule). A COG variant reads its organism's variant of the input, or the bench values of that
//! organism's caisses and of the organism where the input has no such variant
//! ([`Catalogue::input_of`]). A missing input value gives no value. Derived indicators may read
//! derived ones: they are computed inputs first (the loader rejects a cycle).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::assess::benchmark::Stats;
use crate::model::{BENCH, Catalogue, Indicator, IndicatorValue, Level, Method, NotComputed, Unit};

/// The values of every derived definition of `catalogue`, from `values` (the values pooled
/// from the tables). Inputs first: a derived indicator of a derived one sees its values.
pub fn derive(catalogue: &Catalogue, values: &[IndicatorValue]) -> Vec<IndicatorValue> {
    let mut by_definition: HashMap<(&str, &str), Vec<&IndicatorValue>> = HashMap::new();
    for v in values {
        by_definition
            .entry((v.indicator_id.as_str(), v.definition.as_str()))
            .or_default()
            .push(v);
    }
    let mut derived: BTreeMap<(String, String), Vec<IndicatorValue>> = BTreeMap::new();
    for def in in_order(catalogue) {
        let Some(input) = catalogue.input_of(def) else {
            continue;
        };
        let key = (input.id.clone(), input.definition.clone());
        let read: Vec<&IndicatorValue> = match derived.get(&key) {
            Some(own) => own.iter().collect(),
            None => by_definition
                .get(&(input.id.as_str(), input.definition.as_str()))
                .cloned()
                .unwrap_or_default(),
        };
        let read = scoped(def, input, read);
        let out = compute(def, &read);
        derived.insert((def.id.clone(), def.definition.clone()), out);
    }
    derived.into_values().flatten().collect()
}

/// The values of one derived definition from its input's values (already scoped).
pub fn compute(def: &Indicator, input: &[&IndicatorValue]) -> Vec<IndicatorValue> {
    match def.method {
        Method::Complement => complement(def, input),
        Method::Yoy => yoy(def, input),
        Method::Dispersion => dispersion(def, input),
        Method::CaissesMeeting => caisses_meeting(def, input),
        Method::Mean
        | Method::Share
        | Method::Ratio
        | Method::Sum
        | Method::P90
        | Method::Quantile
        | Method::Count
        | Method::CountDistinct => Vec::new(),
    }
}

/// The derived definitions, each after the derived definition it reads.
fn in_order(catalogue: &Catalogue) -> Vec<&Indicator> {
    let mut pending: Vec<&Indicator> = catalogue
        .indicators
        .iter()
        .filter(|i| i.method.is_derived())
        .collect();
    let mut done: BTreeSet<(&str, &str)> = BTreeSet::new();
    let mut order = Vec::new();
    while !pending.is_empty() {
        let before = pending.len();
        pending.retain(|def| {
            let ready = catalogue.input_of(def).is_none_or(|input| {
                !input.method.is_derived()
                    || done.contains(&(input.id.as_str(), input.definition.as_str()))
            });
            if ready {
                done.insert((def.id.as_str(), def.definition.as_str()));
                order.push(*def);
            }
            !ready
        });
        if pending.len() == before {
            break; // a cycle: rejected when the catalogue is loaded
        }
    }
    order
}

/// A variant reading the bench reads its own organism's caisses and organism only.
fn scoped<'a>(
    def: &Indicator,
    input: &Indicator,
    values: Vec<&'a IndicatorValue>,
) -> Vec<&'a IndicatorValue> {
    match def.organism_scope() {
        Some(org) if input.definition == BENCH => values
            .into_iter()
            .filter(|v| v.level != Level::National && v.organism.as_deref() == Some(org))
            .collect(),
        _ => values,
    }
}

/// A value of `def` at the key of `at` (level, entity, breakdown, period), figures unset; it is
/// provisional when `at` is (§9.14).
fn at_key(def: &Indicator, at: &IndicatorValue) -> IndicatorValue {
    IndicatorValue {
        indicator_id: def.id.clone(),
        definition: def.definition.clone(),
        unit: def.unit,
        target_op: None,
        target: None,
        target_met: None,
        suppressed: false,
        target_kind: None,
        target_text: None,
        n_pending: None,
        ..at.clone()
    }
}

/// 100 − x; numerator den(x) − num(x), denominator den(x), n_records n(x) (§9.17).
fn complement(def: &Indicator, input: &[&IndicatorValue]) -> Vec<IndicatorValue> {
    input
        .iter()
        .map(|x| IndicatorValue {
            value: 100.0 - x.value,
            numerator: x.numerator.zip(x.denominator).map(|(n, d)| d - n),
            denominator: x.denominator,
            n_records: x.n_records,
            ..at_key(def, x)
        })
        .collect()
}

/// The same key one year earlier.
type YearKey<'a> = (
    Level,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    i32,
);

fn year_key(v: &IndicatorValue, year: i32) -> YearKey<'_> {
    (
        v.level,
        v.caisse_id.as_deref(),
        v.organism.as_deref(),
        v.dimension.as_deref(),
        v.dimension_value.as_deref(),
        year,
    )
}

/// Yearly values only: x(N) − x(N−1) for a `%` input, else 100 × (x(N) / x(N−1) − 1), none
/// when x(N−1) = 0 or is missing.
fn yoy(def: &Indicator, input: &[&IndicatorValue]) -> Vec<IndicatorValue> {
    let years: HashMap<YearKey, &IndicatorValue> = input
        .iter()
        .filter(|v| v.month.is_none())
        .map(|v| (year_key(v, v.year), *v))
        .collect();
    let mut out = Vec::new();
    for x in input.iter().filter(|v| v.month.is_none()) {
        let Some(previous) = years.get(&year_key(x, x.year - 1)) else {
            continue;
        };
        // A change is not computed on a provisional year, N or N−1 (§9.14).
        if x.provisional || previous.provisional {
            continue;
        }
        let value = if x.unit == Unit::Percent {
            x.value - previous.value
        } else if previous.value == 0.0 {
            continue;
        } else {
            100.0 * (x.value / previous.value - 1.0)
        };
        out.push(IndicatorValue {
            value,
            numerator: Some(x.value),
            denominator: Some(previous.value),
            n_records: x.n_records,
            ..at_key(def, x)
        });
    }
    out
}

/// (organism, dimension, dimension value, year) → the caisse values and whether each is
/// provisional, by caisse id.
type CaisseGroups<'a> =
    BTreeMap<(&'a str, Option<&'a str>, Option<&'a str>, i32), BTreeMap<&'a str, (f64, bool)>>;

/// The caisse-level yearly values of the input, grouped by organism, breakdown and year.
fn caisse_years<'a>(input: &[&'a IndicatorValue]) -> CaisseGroups<'a> {
    let mut groups: CaisseGroups = BTreeMap::new();
    for v in input {
        if v.level != Level::Caisse || v.month.is_some() {
            continue;
        }
        let (Some(caisse), Some(organism)) = (v.caisse_id.as_deref(), v.organism.as_deref()) else {
            continue;
        };
        groups
            .entry((
                organism,
                v.dimension.as_deref(),
                v.dimension_value.as_deref(),
                v.year,
            ))
            .or_default()
            .insert(caisse, (v.value, v.provisional));
    }
    groups
}

/// A value at organism (`Some`) or national (`None`) level for a year, whole or breakdown.
fn pooled(
    def: &Indicator,
    organism: Option<&str>,
    dimension: Option<&str>,
    dimension_value: Option<&str>,
    year: i32,
) -> IndicatorValue {
    IndicatorValue {
        indicator_id: def.id.clone(),
        definition: def.definition.clone(),
        level: if organism.is_some() {
            Level::Organism
        } else {
            Level::National
        },
        caisse_id: None,
        organism: organism.map(str::to_string),
        dimension: dimension.map(str::to_string),
        dimension_value: dimension_value.map(str::to_string),
        year,
        month: None,
        numerator: None,
        denominator: None,
        value: 0.0,
        unit: def.unit,
        n_records: 0,
        target_op: None,
        target: None,
        target_met: None,
        suppressed: false,
        target_kind: None,
        target_text: None,
        n_pending: None,
        provisional: false,
    }
}

/// Per organism, year and breakdown value: 100 × σ / μ of its caisses' yearly values (the
/// population standard deviation, caisses unweighted); none with fewer than 2 caisses or a mean
/// ≤ 0 (§9.12). n_records is the number of caisses.
fn dispersion(def: &Indicator, input: &[&IndicatorValue]) -> Vec<IndicatorValue> {
    let mut out = Vec::new();
    for ((organism, dimension, dimension_value, year), caisses) in caisse_years(input) {
        let provisional = caisses.values().any(|&(_, p)| p);
        let values: Vec<f64> = caisses.into_values().map(|(v, _)| v).collect();
        let n = values.len();
        if n < 2 {
            continue;
        }
        // The benchmark's statistics: the annex's « écart-type / moyenne » is the same σ / μ.
        let Stats { mean, stddev, .. } = Stats::of(&values);
        if mean <= 0.0 {
            continue;
        }
        out.push(IndicatorValue {
            value: 100.0 * stddev / mean,
            denominator: Some(mean),
            n_records: n as i64,
            provisional,
            ..pooled(def, Some(organism), dimension, dimension_value, year)
        });
    }
    out
}

/// Per organism and year (and nationally for a bench definition): the caisses whose yearly
/// value — of the whole, or of the breakdown value `of_dimension_value` — meets `meeting`,
/// compared at 6 decimals as targets are (§9.15). The result is the whole (no breakdown).
fn caisses_meeting(def: &Indicator, input: &[&IndicatorValue]) -> Vec<IndicatorValue> {
    let Some((op, threshold)) = def.meeting() else {
        return Vec::new(); // checked at load
    };
    let wanted = (
        def.of_dimension.as_deref(),
        def.of_dimension_value.as_deref(),
    );
    // (organism or None for the nation, year) → (met, caisses with a value, one provisional).
    let mut counts: BTreeMap<(Option<&str>, i32), (i64, i64, bool)> = BTreeMap::new();
    for ((organism, dimension, dimension_value, year), caisses) in caisse_years(input) {
        if (dimension, dimension_value) != wanted {
            continue;
        }
        let met = caisses
            .values()
            .filter(|&&(v, _)| op.met(v, threshold))
            .count() as i64;
        let n = caisses.len() as i64;
        let provisional = caisses.values().any(|&(_, p)| p);
        let mut scopes = vec![Some(organism)];
        if def.organism_scope().is_none() {
            scopes.push(None);
        }
        for scope in scopes {
            let c = counts.entry((scope, year)).or_default();
            c.0 += met;
            c.1 += n;
            c.2 |= provisional;
        }
    }
    counts
        .into_iter()
        .map(|((organism, year), (met, n, provisional))| IndicatorValue {
            value: met as f64,
            numerator: Some(met as f64),
            denominator: Some(n as f64),
            n_records: n,
            provisional,
            ..pooled(def, organism, None, None, year)
        })
        .collect()
}

/// Which derived definitions are computed and which are not, from their inputs' status:
/// a derived definition is computed when its input is, and not computed (with the input's
/// reason) when its input is not.
pub fn status(
    catalogue: &Catalogue,
    computed: &mut Vec<(String, String)>,
    not_computed: &mut Vec<NotComputed>,
) {
    for def in in_order(catalogue) {
        let Some(input) = catalogue.input_of(def) else {
            continue;
        };
        let key = (input.id.clone(), input.definition.clone());
        if let Some(reason) = not_computed
            .iter()
            .find(|n| n.indicator_id == input.id && n.definition == input.definition)
            .map(|n| n.reason.clone())
        {
            not_computed.push(NotComputed {
                indicator_id: def.id.clone(),
                definition: def.definition.clone(),
                reason: format!("{reason}, for its input {}", input.key()),
            });
        } else if computed.contains(&key) {
            computed.push((def.id.clone(), def.definition.clone()));
        }
    }
}

/// The years to compute so that `yoy` has its year N−1: `years` and each year before them
/// when the catalogue has a `yoy` (all years found, when `years` is empty).
pub fn years_needed(catalogue: &Catalogue, years: &[i32]) -> Vec<i32> {
    let yoy = catalogue.indicators.iter().any(|i| i.method == Method::Yoy);
    if years.is_empty() || !yoy {
        return years.to_vec();
    }
    let mut all: BTreeSet<i32> = years.iter().copied().collect();
    all.extend(years.iter().map(|y| y - 1));
    all.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(id: &str, definition: &str, method: Method, unit: Unit, of: &str) -> Indicator {
        let text = format!(
            "id = \"{id}\"\ndefinition = \"{definition}\"\nlabel_fr = \"x\"\nlabel_en = \"x\"\n\
             unit = \"{}\"\ndirection = \"higher\"\norigin = \"test\"\nmethod = \"{}\"\nof = \"{of}\"",
            unit.as_str(),
            method.as_str()
        );
        toml::from_str(&text).unwrap()
    }

    fn source(id: &str, definition: &str, unit: Unit) -> Indicator {
        let text = format!(
            "id = \"{id}\"\ndefinition = \"{definition}\"\nlabel_fr = \"x\"\nlabel_en = \"x\"\n\
             unit = \"{}\"\ndirection = \"higher\"\norigin = \"test\"\nmethod = \"ratio\"\n\
             period_date = \"year\"\nnumerator = \"a\"\ndenominator = \"b\"",
            unit.as_str()
        );
        toml::from_str(&text).unwrap()
    }

    #[allow(clippy::too_many_arguments)]
    fn value(
        id: &str,
        level: Level,
        caisse: Option<&str>,
        organism: Option<&str>,
        year: i32,
        month: Option<i32>,
        value: f64,
        unit: Unit,
    ) -> IndicatorValue {
        IndicatorValue {
            indicator_id: id.into(),
            definition: BENCH.into(),
            level,
            caisse_id: caisse.map(Into::into),
            organism: organism.map(Into::into),
            dimension: None,
            dimension_value: None,
            year,
            month,
            numerator: None,
            denominator: None,
            value,
            unit,
            n_records: 20,
            target_op: None,
            target: None,
            target_met: None,
            suppressed: false,
            target_kind: None,
            target_text: None,
            n_pending: None,
            provisional: false,
        }
    }

    fn caisse(id: &str, c: &str, org: &str, year: i32, v: f64, unit: Unit) -> IndicatorValue {
        value(id, Level::Caisse, Some(c), Some(org), year, None, v, unit)
    }

    fn refs(values: &[IndicatorValue]) -> Vec<&IndicatorValue> {
        values.iter().collect()
    }

    #[test]
    fn complement_swaps_numerator_keeps_denominator_and_key() {
        // IQL retraite: 3 files with an anomaly out of 40 → 7.5 %; complement 92.5 %,
        // numerator 40 − 3 = 37, denominator 40, n_records 40.
        let mut x = caisse("iql", "C1", "CNAV", 2024, 7.5, Unit::Percent);
        x.month = Some(3);
        x.dimension = Some("branch".into());
        x.dimension_value = Some("retraite".into());
        x.numerator = Some(3.0);
        x.denominator = Some(40.0);
        x.n_records = 40;
        x.suppressed = true; // the output starts unmasked: confidentiality decides
        let d = def(
            "controls_ok",
            BENCH,
            Method::Complement,
            Unit::Percent,
            "iql",
        );
        let out = compute(&d, &[&x]);
        assert_eq!(out.len(), 1);
        let c = &out[0];
        assert_eq!(c.value, 92.5);
        assert_eq!(
            (c.numerator, c.denominator, c.n_records),
            (Some(37.0), Some(40.0), 40)
        );
        assert_eq!(c.indicator_id, "controls_ok");
        assert_eq!(
            (c.month, c.dimension_value.as_deref()),
            (Some(3), Some("retraite"))
        );
        assert_eq!(c.caisse_id.as_deref(), Some("C1"));
        assert!(!c.suppressed);
        // No numerator (a P90 has none): none either.
        x.numerator = None;
        assert_eq!(compute(&d, &[&x])[0].numerator, None);
    }

    #[test]
    fn yoy_relative_change_for_a_ratio_and_none_without_a_base() {
        let u = Unit::Ratio;
        let values = vec![
            // C1: 400 → 420: +5 %; 420 → 378: −10 %.
            caisse("p", "C1", "ORG", 2023, 400.0, u),
            caisse("p", "C1", "ORG", 2024, 420.0, u),
            caisse("p", "C1", "ORG", 2025, 378.0, u),
            // C2: 0 in 2023 → no 2024 change (x(N−1) = 0); 2026 has no 2025 value → none.
            caisse("p", "C2", "ORG", 2023, 0.0, u),
            caisse("p", "C2", "ORG", 2024, 50.0, u),
            caisse("p", "C2", "ORG", 2026, 60.0, u),
            // C3: a December value is not the year 2023 → no 2024 change.
            value(
                "p",
                Level::Caisse,
                Some("C3"),
                Some("ORG"),
                2023,
                Some(12),
                10.0,
                u,
            ),
            value(
                "p",
                Level::Caisse,
                Some("C3"),
                Some("ORG"),
                2024,
                None,
                20.0,
                u,
            ),
        ];
        let d = def("p_yoy", BENCH, Method::Yoy, Unit::Percent, "p");
        let out = compute(&d, &refs(&values));
        let got: Vec<_> = out
            .iter()
            .map(|v| (v.caisse_id.clone().unwrap(), v.year, v.value))
            .collect();
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].0, "C1");
        assert_eq!(got[0].1, 2024);
        assert!((got[0].2 - 5.0).abs() < 1e-12);
        assert_eq!((got[1].0.as_str(), got[1].1), ("C1", 2025));
        assert!((got[1].2 + 10.0).abs() < 1e-12);
        assert_eq!(out[0].numerator, Some(420.0));
        assert_eq!(out[0].denominator, Some(400.0));
        assert_eq!(out[0].n_records, 20);
        assert_eq!(out[0].unit, Unit::Percent);
    }

    #[test]
    fn yoy_of_a_percentage_is_a_difference_in_points() {
        // 92.5 % → 94 %: +1.5 pt (not +1.6216 %); 0 % → 3 %: +3 pt (a zero base is fine).
        let values = vec![
            caisse("r", "C1", "ORG", 2023, 92.5, Unit::Percent),
            caisse("r", "C1", "ORG", 2024, 94.0, Unit::Percent),
            caisse("r", "C2", "ORG", 2023, 0.0, Unit::Percent),
            caisse("r", "C2", "ORG", 2024, 3.0, Unit::Percent),
        ];
        let d = def("r_yoy", BENCH, Method::Yoy, Unit::Pt, "r");
        let out = compute(&d, &refs(&values));
        assert_eq!(out.len(), 2);
        assert!((out[0].value - 1.5).abs() < 1e-12);
        assert_eq!(out[0].unit, Unit::Pt);
        assert!((out[1].value - 3.0).abs() < 1e-12);
    }

    #[test]
    fn yoy_keeps_levels_and_breakdowns_apart() {
        let a = value(
            "x",
            Level::Organism,
            None,
            Some("ORG"),
            2023,
            None,
            10.0,
            Unit::Eur,
        );
        let mut b = a.clone();
        b.year = 2024;
        b.value = 12.0;
        let mut branch = a.clone();
        branch.dimension = Some("branch".into());
        branch.dimension_value = Some("maladie".into());
        branch.year = 2024;
        branch.value = 99.0; // its 2023 value is missing: no value
        let national = value("x", Level::National, None, None, 2023, None, 5.0, Unit::Eur);
        let mut national_24 = national.clone();
        national_24.year = 2024;
        national_24.value = 4.0;
        let d = def("x_yoy", BENCH, Method::Yoy, Unit::Percent, "x");
        let out = compute(&d, &[&a, &b, &branch, &national, &national_24]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].level, Level::Organism);
        assert!((out[0].value - 20.0).abs() < 1e-12); // 12 / 10 − 1
        assert_eq!(out[1].level, Level::National);
        assert!((out[1].value + 20.0).abs() < 1e-12); // 4 / 5 − 1
    }

    #[test]
    fn dispersion_by_hand() {
        let u = Unit::Ratio;
        let values = vec![
            // ORG A, 2024: 90 and 110 → μ 100, σ = 10 → 10 %.
            caisse("p", "A1", "A", 2024, 90.0, u),
            caisse("p", "A2", "A", 2024, 110.0, u),
            // ORG A, 2023: 2, 4, 4, 4, 5, 5, 7, 9 → μ 5, σ 2 → 40 %.
            caisse("p", "A1", "A", 2023, 2.0, u),
            caisse("p", "A2", "A", 2023, 4.0, u),
            caisse("p", "A3", "A", 2023, 4.0, u),
            caisse("p", "A4", "A", 2023, 4.0, u),
            caisse("p", "A5", "A", 2023, 5.0, u),
            caisse("p", "A6", "A", 2023, 5.0, u),
            caisse("p", "A7", "A", 2023, 7.0, u),
            caisse("p", "A8", "A", 2023, 9.0, u),
            // ORG B: one caisse → none.
            caisse("p", "B1", "B", 2024, 80.0, u),
            // ORG C: mean 0 → none; ORG D: mean < 0 → none.
            caisse("p", "C1", "C", 2024, 0.0, u),
            caisse("p", "C2", "C", 2024, 0.0, u),
            caisse("p", "D1", "D", 2024, -1.0, u),
            caisse("p", "D2", "D", 2024, -3.0, u),
            // Organism and national values are not read.
            value("p", Level::Organism, None, Some("B"), 2024, None, 1.0, u),
            value("p", Level::National, None, None, 2024, None, 1.0, u),
        ];
        let d = def(
            "p_dispersion",
            BENCH,
            Method::Dispersion,
            Unit::Percent,
            "p",
        );
        let out = compute(&d, &refs(&values));
        let got: Vec<_> = out
            .iter()
            .map(|v| {
                (
                    v.level,
                    v.organism.clone().unwrap(),
                    v.year,
                    v.value,
                    v.n_records,
                )
            })
            .collect();
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!((got[0].1.as_str(), got[0].2, got[0].4), ("A", 2023, 8));
        assert!((got[0].3 - 40.0).abs() < 1e-12);
        assert_eq!((got[1].1.as_str(), got[1].2, got[1].4), ("A", 2024, 2));
        assert!((got[1].3 - 10.0).abs() < 1e-12);
        assert!(
            out.iter()
                .all(|v| v.level == Level::Organism && v.caisse_id.is_none())
        );
        assert_eq!(out[1].denominator, Some(100.0));
        assert_eq!(out[1].numerator, None);
    }

    #[test]
    fn caisses_meeting_at_exactly_the_threshold_and_nationally() {
        let u = Unit::Percent;
        let mut values = vec![
            // ORG A: 90 exactly (met), 89.9999999 (met at 6 decimals: rounds to 90.000000),
            // 89.99 (not met) → 2 of 3.
            caisse("r", "A1", "A", 2024, 90.0, u),
            caisse("r", "A2", "A", 2024, 89.999_999_9, u),
            caisse("r", "A3", "A", 2024, 89.99, u),
            // ORG B: 95 → 1 of 1. 2023: 50 → 0 of 1 (a value 0, not none).
            caisse("r", "B1", "B", 2024, 95.0, u),
            caisse("r", "B1", "B", 2023, 50.0, u),
            // A month is not read.
            value(
                "r",
                Level::Caisse,
                Some("B2"),
                Some("B"),
                2024,
                Some(1),
                99.0,
                u,
            ),
        ];
        let mut d = def(
            "r_caisses_90",
            BENCH,
            Method::CaissesMeeting,
            Unit::Count,
            "r",
        );
        d.meeting = Some(">= 90".into());
        let out = compute(&d, &refs(&values));
        let got: Vec<_> = out
            .iter()
            .map(|v| {
                (
                    v.level,
                    v.organism.clone(),
                    v.year,
                    v.value,
                    v.denominator,
                    v.n_records,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (Level::National, None, 2023, 0.0, Some(1.0), 1),
                (Level::National, None, 2024, 3.0, Some(4.0), 4),
                (Level::Organism, Some("A".into()), 2024, 2.0, Some(3.0), 3),
                (Level::Organism, Some("B".into()), 2023, 0.0, Some(1.0), 1),
                (Level::Organism, Some("B".into()), 2024, 1.0, Some(1.0), 1),
            ]
        );
        // "> 90": 90 itself fails.
        d.meeting = Some("> 90".into());
        let strict = compute(&d, &refs(&values));
        assert_eq!(strict[1].value, 1.0); // only B1's 95
        // On a breakdown value: only droit_propre values are read; the result is the whole.
        d.meeting = Some(">= 96".into());
        d.of_dimension = Some("right_type".into());
        d.of_dimension_value = Some("droit_propre".into());
        for (c, v, dv) in [
            ("A1", 96.0, "droit_propre"),
            ("A2", 95.0, "droit_propre"),
            ("A3", 99.0, "droit_derive"),
        ] {
            let mut x = caisse("r", c, "A", 2025, v, u);
            x.dimension = Some("right_type".into());
            x.dimension_value = Some(dv.into());
            values.push(x);
        }
        values.push(caisse("r", "A3", "A", 2025, 99.0, u)); // the whole: not read
        let on_dp = compute(&d, &refs(&values));
        let org_a = on_dp
            .iter()
            .find(|v| v.level == Level::Organism && v.year == 2025)
            .unwrap();
        assert_eq!((org_a.value, org_a.n_records), (1.0, 2));
        assert_eq!(org_a.dimension, None);
    }

    #[test]
    fn a_variant_reads_its_organisms_bench_values_and_derived_of_derived() {
        let mut catalogue = Catalogue::default();
        catalogue
            .indicators
            .push(source("iql", BENCH, Unit::Percent));
        catalogue
            .indicators
            .push(def("ok", "CNAV", Method::Complement, Unit::Percent, "iql"));
        // A yoy of the complement, listed before it: computed after it.
        catalogue
            .indicators
            .insert(0, def("ok_yoy", "CNAV", Method::Yoy, Unit::Pt, "ok"));
        let values = vec![
            caisse("iql", "C1", "CNAV", 2023, 10.0, Unit::Percent),
            caisse("iql", "C1", "CNAV", 2024, 8.0, Unit::Percent),
            caisse("iql", "X1", "CNAM", 2024, 5.0, Unit::Percent),
            value(
                "iql",
                Level::National,
                None,
                None,
                2024,
                None,
                6.0,
                Unit::Percent,
            ),
        ];
        let out = derive(&catalogue, &values);
        let got: Vec<_> = out
            .iter()
            .map(|v| {
                (
                    v.indicator_id.as_str(),
                    v.definition.as_str(),
                    v.caisse_id.clone(),
                    v.year,
                    v.value,
                )
            })
            .collect();
        // CNAV's caisse only; no national value; yoy: 92 − 90 = +2 pt.
        assert_eq!(
            got,
            vec![
                ("ok", "CNAV", Some("C1".into()), 2023, 90.0),
                ("ok", "CNAV", Some("C1".into()), 2024, 92.0),
                ("ok_yoy", "CNAV", Some("C1".into()), 2024, 2.0),
            ]
        );
        // Status: computed with its input; not computed, with the reason, when it is not.
        let mut computed = vec![("iql".to_string(), BENCH.to_string())];
        let mut not = Vec::new();
        status(&catalogue, &mut computed, &mut not);
        assert_eq!(computed.len(), 3);
        let mut computed = Vec::new();
        let mut not = vec![NotComputed {
            indicator_id: "iql".into(),
            definition: BENCH.into(),
            reason: "not computed: no controls extract".into(),
        }];
        status(&catalogue, &mut computed, &mut not);
        assert!(computed.is_empty());
        assert_eq!(not.len(), 3);
        assert_eq!(
            not[2].reason,
            "not computed: no controls extract, for its input iql, for its input ok[CNAV]"
        );
    }

    #[test]
    fn years_before_the_asked_ones_are_computed_for_yoy() {
        let mut catalogue = Catalogue::default();
        catalogue.indicators.push(source("p", BENCH, Unit::Ratio));
        assert_eq!(years_needed(&catalogue, &[2024]), vec![2024]);
        catalogue
            .indicators
            .push(def("p_yoy", BENCH, Method::Yoy, Unit::Percent, "p"));
        assert_eq!(
            years_needed(&catalogue, &[2024, 2026]),
            vec![2023, 2024, 2025, 2026]
        );
        assert!(years_needed(&catalogue, &[]).is_empty());
    }

    /// §9.14: a derived value is provisional when an input is, and a change is not computed on
    /// a provisional year.
    #[test]
    fn provisional_inputs() {
        let pct = Unit::Percent;
        let mut values = vec![
            caisse("x", "C1", "ORG", 2023, 90.0, pct),
            caisse("x", "C1", "ORG", 2024, 80.0, pct),
            caisse("x", "C2", "ORG", 2023, 70.0, pct),
            caisse("x", "C2", "ORG", 2024, 60.0, pct),
        ];
        values[1].provisional = true; // C1's 2024 ends after its as-of date
        // complement: 100 − 80 = 20, provisional as its input; C2's 40 is final.
        let c = complement(
            &def("x_c", BENCH, Method::Complement, pct, "x"),
            &refs(&values),
        );
        let at = |out: &[IndicatorValue], caisse: &str, year: i32| {
            out.iter()
                .find(|v| v.caisse_id.as_deref() == Some(caisse) && v.year == year)
                .map(|v| (v.value, v.provisional))
        };
        assert_eq!(at(&c, "C1", 2024), Some((20.0, true)));
        assert_eq!(at(&c, "C2", 2024), Some((40.0, false)));
        // yoy in pt: C1 2024 is provisional → no change; C2: 60 − 70 = −10 pt.
        let y = yoy(
            &def("x_yoy", BENCH, Method::Yoy, Unit::Pt, "x"),
            &refs(&values),
        );
        assert_eq!(at(&y, "C1", 2024), None);
        assert_eq!(at(&y, "C2", 2024), Some((-10.0, false)));
        // dispersion of ORG 2024 (80 and 60: mean 70, σ 10 → 14.29 %) is provisional; 2023 not.
        let d = dispersion(
            &def("x_dispersion", BENCH, Method::Dispersion, pct, "x"),
            &refs(&values),
        );
        let org = |year: i32| d.iter().find(|v| v.year == year).map(|v| v.provisional);
        assert_eq!(org(2024), Some(true));
        assert_eq!(org(2023), Some(false));
    }
}
