//! Statistical confidentiality (*secret statistique*): which values must not be published.
//!
//! **Primary suppression**: a value computed on fewer records than its table's threshold
//! (default 11, set per table by `suppression_threshold` in `pipelines/<table>.toml`; 0 never
//! masks) is suppressed. An indicator reading two tables takes the larger threshold.
//!
//! **Secondary suppression**: a masked cell must not be recoverable from a total and the other
//! cells of the same table. `indicator_values` holds four kinds of additive relations, each a
//! *total* and its *parts* (same indicator, definition and, where not varied, same period,
//! breakdown and entity — the caisse or organism):
//!
//! - the caisses of an organism → the organism's value;
//! - the organisms → the national value;
//! - the values of a breakdown (`branch`, `channel`) → the whole; an indicator with several
//!   breakdowns (`dimensions`) has one such relation per breakdown, never one across them, and
//!   one without a whole (`whole = false`) has none;
//! - the months of a year → the year.
//!
//! When the total is published and exactly one of its parts is masked, the published part with
//! the fewest records (then the first in the table's stable order) is masked too; when no part
//! is left to mask, the total is. This repeats until no relation has a single masked part, so a
//! mask added for one relation is protected in the others. The order of the work is the stable
//! order of `indicator_values`, hence the same inputs always mask the same cells.
//!
//! `indicator_values` keeps the exact values with `suppressed = true`; the benchmark leaves them
//! out and the annex renderings print the mask (docs/confidentiality.md).
//!
//! **Derived indicators** (indicators-v2 §9.13) have their own rules, applied after the two
//! above and outside them ([`derived_suppression`]): a `complement` or a `yoy` is suppressed
//! when a value it reads is (counted as secondary); a `dispersion` or a `caisses_meeting` reads
//! every caisse value, suppressed or not, and is suppressed only when it pools fewer than
//! [`MIN_CAISSES`] caisses (counted as primary) — unless its input is a table whose threshold
//! is 0, whose caisse values are all published anyway.

use std::collections::{BTreeMap, HashMap};

use crate::model::{Catalogue, Indicator, IndicatorValue, Level, Method};

/// The default threshold: a value on fewer than 11 records is not published.
pub const DEFAULT_THRESHOLD: i64 = 11;

/// What was masked, for the manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Suppression {
    /// The threshold of the tables whose pipeline file sets none.
    pub default_threshold: i64,
    /// Threshold of every source table the catalogue reads.
    pub thresholds: BTreeMap<String, i64>,
    /// Values under their threshold.
    pub primary: u64,
    /// Values masked so that a primary one cannot be recovered.
    pub secondary: u64,
}

/// The threshold of every table the catalogue reads: its pipeline file's
/// `suppression_threshold`, or `default`.
pub fn thresholds(catalogue: &Catalogue, default: i64) -> BTreeMap<String, i64> {
    catalogue
        .tables()
        .into_iter()
        .map(|t| {
            let threshold = catalogue
                .suppression_thresholds
                .get(t)
                .copied()
                .unwrap_or(default);
            (t.to_string(), threshold)
        })
        .collect()
}

/// Marks `suppressed` on `values` (sorted in the table's stable order).
pub fn apply(
    values: &mut [IndicatorValue],
    catalogue: &Catalogue,
    default_threshold: i64,
) -> Suppression {
    let thresholds = thresholds(catalogue, default_threshold);
    let threshold_of: HashMap<(&str, &str), i64> = catalogue
        .indicators
        .iter()
        .map(|ind| {
            let threshold = ind
                .source_tables()
                .iter()
                .map(|t| thresholds.get(*t).copied().unwrap_or(default_threshold))
                .max()
                .unwrap_or(default_threshold);
            ((ind.id.as_str(), ind.definition.as_str()), threshold)
        })
        .collect();
    let derived: HashMap<(&str, &str), &Indicator> = catalogue
        .indicators
        .iter()
        .filter(|i| i.method.is_derived())
        .map(|i| ((i.id.as_str(), i.definition.as_str()), i))
        .collect();
    let mut primary = 0;
    for v in values.iter_mut() {
        if derived.contains_key(&(v.indicator_id.as_str(), v.definition.as_str())) {
            v.suppressed = false; // their own rules, below
            continue;
        }
        let threshold = threshold_of
            .get(&(v.indicator_id.as_str(), v.definition.as_str()))
            .copied()
            .unwrap_or(default_threshold);
        v.suppressed = v.n_records < threshold;
        primary += u64::from(v.suppressed);
    }
    let mut secondary = if primary == 0 {
        0
    } else {
        secondary_suppression(values)
    };
    if !derived.is_empty() {
        let input_threshold = |def: &Indicator| {
            let base = base_input(catalogue, def);
            threshold_of
                .get(&(base.id.as_str(), base.definition.as_str()))
                .copied()
                .unwrap_or(default_threshold)
        };
        let (own, inherited) = derived_suppression(values, catalogue, &derived, input_threshold);
        primary += own;
        secondary += inherited;
    }
    Suppression {
        default_threshold,
        thresholds,
        primary,
        secondary,
    }
}

/// One additive relation: a total and its parts (indexes into the values).
#[derive(Debug)]
struct Relation {
    total: usize,
    parts: Vec<usize>,
}

/// Masks parts (or totals) until no published total has exactly one masked part. Returns the
/// number of values it masked.
fn secondary_suppression(values: &mut [IndicatorValue]) -> u64 {
    let relations = relations(values);
    let mut masked = 0;
    loop {
        let mut changed = false;
        for r in &relations {
            if values[r.total].suppressed {
                continue;
            }
            let hidden = r.parts.iter().filter(|&&p| values[p].suppressed).count();
            if hidden != 1 {
                continue;
            }
            // The published part with the fewest records, then the first in table order.
            let next = r
                .parts
                .iter()
                .copied()
                .filter(|&p| !values[p].suppressed)
                .min_by_key(|&p| (values[p].n_records, p));
            let chosen = next.unwrap_or(r.total);
            values[chosen].suppressed = true;
            masked += 1;
            changed = true;
        }
        if !changed {
            return masked;
        }
    }
}

/// The three kinds of additive relation between values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum RelationKind {
    /// A caisse is a part of its organism, an organism of the nation.
    Geography,
    /// A breakdown value is a part of the whole of the same entity and period.
    Breakdown,
    /// A month is a part of its year.
    Time,
}

/// A relation as seen from its total, or from one of its parts: the same key for both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct RelationKey<'a> {
    kind: RelationKind,
    indicator_id: &'a str,
    definition: &'a str,
    level: Level,
    caisse_id: Option<&'a str>,
    organism: Option<&'a str>,
    dimension_value: Option<&'a str>,
    year: i32,
    month: Option<i32>,
    /// The breakdown (`branch`…): the parts of one breakdown relation are its values; the
    /// whole, their total, is looked up without it.
    dimension: Option<&'a str>,
}

/// Every relation of the values, ordered by their total's position in the table.
fn relations(values: &[IndicatorValue]) -> Vec<Relation> {
    let mut totals: HashMap<RelationKey, usize> = HashMap::new();
    let mut parts: HashMap<RelationKey, Vec<usize>> = HashMap::new();
    for (i, v) in values.iter().enumerate() {
        let key = |kind, level, caisse_id, organism, dimension_value, month| RelationKey {
            kind,
            indicator_id: v.indicator_id.as_str(),
            definition: v.definition.as_str(),
            level,
            caisse_id,
            organism,
            dimension_value,
            year: v.year,
            month,
            dimension: v.dimension.as_deref(),
        };
        let caisse = v.caisse_id.as_deref();
        let org = v.organism.as_deref();
        let dim = v.dimension_value.as_deref();
        let geography =
            |level, organism| key(RelationKind::Geography, level, None, organism, dim, v.month);
        match v.level {
            Level::Caisse => parts
                .entry(geography(Level::Organism, org))
                .or_default()
                .push(i),
            Level::Organism => {
                totals.insert(geography(Level::Organism, org), i);
                parts
                    .entry(geography(Level::National, None))
                    .or_default()
                    .push(i);
            }
            Level::National => {
                totals.insert(geography(Level::National, None), i);
            }
        }
        let whole = key(RelationKind::Breakdown, v.level, caisse, org, None, v.month);
        // The parts of a breakdown are keyed by its name; the whole (no name) is every
        // breakdown's total.
        match dim {
            Some(_) => parts.entry(whole).or_default().push(i),
            None => {
                totals.insert(whole, i);
            }
        }
        let year = key(RelationKind::Time, v.level, caisse, org, dim, None);
        match v.month {
            Some(_) => parts.entry(year).or_default().push(i),
            None => {
                totals.insert(year, i);
            }
        }
    }
    let mut relations: Vec<Relation> = parts
        .into_iter()
        .filter_map(|(key, parts)| {
            let total_key = match key.kind {
                RelationKind::Breakdown => RelationKey {
                    dimension: None,
                    ..key
                },
                _ => key,
            };
            totals
                .get(&total_key)
                .map(|&total| Relation { total, parts })
        })
        .collect();
    for r in &mut relations {
        r.parts.sort_unstable();
    }
    relations.sort_by_key(|r| (r.total, r.parts[0]));
    relations
}

/// A `dispersion` or `caisses_meeting` pooling fewer caisses than this is suppressed (§9.13).
pub const MIN_CAISSES: i64 = 3;

/// The first non-derived indicator down the chain of `def`'s inputs (`def` itself when it is
/// not derived): its table's threshold says whether its values are confidential at all.
fn base_input<'a>(catalogue: &'a Catalogue, def: &'a Indicator) -> &'a Indicator {
    let mut current = def;
    for _ in 0..=catalogue.indicators.len() {
        match catalogue.input_of(current) {
            Some(input) if current.method.is_derived() => current = input,
            _ => break,
        }
    }
    current
}

/// The key of a value an indicator reads at the same key (§9.11).
type ValueAt<'a> = (
    &'a str,
    &'a str,
    Level,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    i32,
    Option<i32>,
);

/// The key of indicator `id` [`definition`] at `v`'s level, entity, breakdown and month, in
/// `year`.
fn value_at<'a>(id: &'a str, definition: &'a str, v: &'a IndicatorValue, year: i32) -> ValueAt<'a> {
    (
        id,
        definition,
        v.level,
        v.caisse_id.as_deref(),
        v.organism.as_deref(),
        v.dimension.as_deref(),
        v.dimension_value.as_deref(),
        year,
        v.month,
    )
}

/// The derived indicators' rules (§9.13), on values whose other masks are final. `derived`:
/// the derived definitions by (id, definition); `input_threshold`: the threshold of the table
/// a derived definition's values come from. Returns the values masked by the caisse count
/// (primary) and those masked because an input is (secondary).
fn derived_suppression(
    values: &mut [IndicatorValue],
    catalogue: &Catalogue,
    derived: &HashMap<(&str, &str), &Indicator>,
    input_threshold: impl Fn(&Indicator) -> i64,
) -> (u64, u64) {
    let mut own = 0;
    // Inputs read at the same key: (derived value, its inputs' positions).
    let mut reads: Vec<(usize, Vec<usize>)> = Vec::new();
    {
        let index: HashMap<ValueAt, usize> = values
            .iter()
            .enumerate()
            .map(|(i, v)| (value_at(&v.indicator_id, &v.definition, v, v.year), i))
            .collect();
        for (i, v) in values.iter().enumerate() {
            let Some(def) = derived.get(&(v.indicator_id.as_str(), v.definition.as_str())) else {
                continue;
            };
            let Some(input) = catalogue.input_of(def) else {
                continue;
            };
            let years = match def.method {
                Method::Complement => vec![v.year],
                Method::Yoy => vec![v.year, v.year - 1],
                _ => continue,
            };
            let inputs = years
                .into_iter()
                .filter_map(|year| {
                    index
                        .get(&value_at(&input.id, &input.definition, v, year))
                        .copied()
                })
                .collect();
            reads.push((i, inputs));
        }
    }
    for v in values.iter_mut() {
        let Some(def) = derived.get(&(v.indicator_id.as_str(), v.definition.as_str())) else {
            continue;
        };
        if matches!(def.method, Method::Dispersion | Method::CaissesMeeting)
            && input_threshold(def) > 0
            && v.n_records < MIN_CAISSES
        {
            v.suppressed = true;
            own += 1;
        }
    }
    // A derived value of a derived value: repeat until nothing changes.
    let mut inherited = 0;
    loop {
        let mut changed = false;
        for (i, inputs) in &reads {
            if !values[*i].suppressed && inputs.iter().any(|&j| values[j].suppressed) {
                values[*i].suppressed = true;
                inherited += 1;
                changed = true;
            }
        }
        if !changed {
            return (own, inherited);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Unit;

    fn value(
        level: Level,
        caisse: Option<&str>,
        organism: Option<&str>,
        dimension: Option<&str>,
        month: Option<i32>,
        n: i64,
    ) -> IndicatorValue {
        IndicatorValue {
            indicator_id: "x".into(),
            definition: "bench".into(),
            level,
            caisse_id: caisse.map(Into::into),
            organism: organism.map(Into::into),
            dimension: dimension.map(|_| "branch".into()),
            dimension_value: dimension.map(Into::into),
            year: 2024,
            month,
            numerator: None,
            denominator: Some(n as f64),
            value: 1.0,
            unit: Unit::Percent,
            n_records: n,
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

    fn run(values: &mut [IndicatorValue], threshold: i64) -> u64 {
        crate::model::sort(values);
        for v in values.iter_mut() {
            v.suppressed = v.n_records < threshold;
        }
        secondary_suppression(values)
    }

    fn masked(values: &[IndicatorValue]) -> Vec<(Option<String>, Option<String>, bool)> {
        values
            .iter()
            .map(|v| (v.caisse_id.clone(), v.dimension_value.clone(), v.suppressed))
            .collect()
    }

    #[test]
    fn a_single_masked_caisse_takes_the_smallest_other_caisse_with_it() {
        // Organism A: caisses 1 (5 records, under 11), 2 (40), 3 (20), 4 (20); total 85.
        let mut v = vec![
            value(Level::Caisse, Some("c1"), Some("A"), None, None, 5),
            value(Level::Caisse, Some("c2"), Some("A"), None, None, 40),
            value(Level::Caisse, Some("c3"), Some("A"), None, None, 20),
            value(Level::Caisse, Some("c4"), Some("A"), None, None, 20),
            value(Level::Organism, None, Some("A"), None, None, 85),
        ];
        assert_eq!(run(&mut v, 11), 1);
        let hidden: Vec<_> = v
            .iter()
            .filter(|x| x.suppressed)
            .map(|x| x.caisse_id.clone())
            .collect();
        // c3 and c4 tie at 20 records: the first in table order, c3, is masked.
        assert_eq!(hidden, vec![Some("c1".into()), Some("c3".into())]);
    }

    #[test]
    fn two_masked_caisses_need_nothing_more() {
        let mut v = vec![
            value(Level::Caisse, Some("c1"), Some("A"), None, None, 5),
            value(Level::Caisse, Some("c2"), Some("A"), None, None, 7),
            value(Level::Caisse, Some("c3"), Some("A"), None, None, 30),
            value(Level::Organism, None, Some("A"), None, None, 42),
        ];
        assert_eq!(run(&mut v, 11), 0);
        assert_eq!(v.iter().filter(|x| x.suppressed).count(), 2);
    }

    #[test]
    fn an_organism_with_one_published_part_left_masks_its_total() {
        // One caisse masked, the only other caisse... is the only part left: the total goes.
        // (Here the total has enough records because the threshold is met by the sum.)
        let mut v = vec![
            value(Level::Caisse, Some("c1"), Some("A"), None, None, 8),
            value(Level::Organism, None, Some("A"), None, None, 12),
        ];
        // The organism's only caisse listed has 8 records; 4 more come from a caisse whose
        // value was not computed (no row): the total cannot stay beside one masked part.
        assert_eq!(run(&mut v, 11), 1);
        assert!(v.iter().all(|x| x.suppressed));
    }

    #[test]
    fn a_masked_branch_takes_another_branch_and_the_mask_spreads_to_the_organism() {
        // Caisse c1: whole 60 = maladie 4 + retraite 26 + famille 30.
        // Caisse c2: whole 50 = maladie 25 + retraite 25.
        // Organism A: whole 110 = maladie 29 + retraite 51 + famille 30.
        let mut v = vec![
            value(Level::Caisse, Some("c1"), Some("A"), None, None, 60),
            value(
                Level::Caisse,
                Some("c1"),
                Some("A"),
                Some("maladie"),
                None,
                4,
            ),
            value(
                Level::Caisse,
                Some("c1"),
                Some("A"),
                Some("retraite"),
                None,
                26,
            ),
            value(
                Level::Caisse,
                Some("c1"),
                Some("A"),
                Some("famille"),
                None,
                30,
            ),
            value(Level::Caisse, Some("c2"), Some("A"), None, None, 50),
            value(
                Level::Caisse,
                Some("c2"),
                Some("A"),
                Some("maladie"),
                None,
                25,
            ),
            value(
                Level::Caisse,
                Some("c2"),
                Some("A"),
                Some("retraite"),
                None,
                25,
            ),
            value(Level::Organism, None, Some("A"), None, None, 110),
            value(Level::Organism, None, Some("A"), Some("maladie"), None, 29),
            value(Level::Organism, None, Some("A"), Some("retraite"), None, 51),
            value(Level::Organism, None, Some("A"), Some("famille"), None, 30),
        ];
        let added = run(&mut v, 11);
        let hidden: Vec<_> = v
            .iter()
            .filter(|x| x.suppressed)
            .map(|x| (x.caisse_id.clone(), x.dimension_value.clone()))
            .collect();
        // c1 maladie (4) → c1 retraite (26, fewer than famille's 30) for the breakdown of c1;
        // then organism A's maladie has one masked caisse (c1): c2 maladie goes; A's retraite
        // likewise: c2 retraite goes; c2's breakdown now has both parts masked: nothing more.
        assert_eq!(
            hidden,
            vec![
                (Some("c1".into()), Some("maladie".into())),
                (Some("c1".into()), Some("retraite".into())),
                (Some("c2".into()), Some("maladie".into())),
                (Some("c2".into()), Some("retraite".into())),
            ]
        );
        assert_eq!(added, 3);
        // No published total has a single masked part left.
        for r in relations(&v) {
            if !v[r.total].suppressed {
                assert_ne!(r.parts.iter().filter(|&&p| v[p].suppressed).count(), 1);
            }
        }
    }

    /// A yearly caisse value of breakdown `dimension` = `value`.
    fn part(dimension: &str, v: &str, n: i64) -> IndicatorValue {
        IndicatorValue {
            dimension: Some(dimension.into()),
            ..value(Level::Caisse, Some("c1"), Some("A"), Some(v), None, n)
        }
    }

    #[test]
    fn each_breakdown_is_its_own_relation_to_the_whole() {
        // c1: whole 60 = branch maladie 4 + retraite 56 = file_type PE 30 + PN 30.
        // maladie (4 < 11) is masked; within `branch` retraite is the only other part, so it
        // goes; `file_type` has no masked part and stays published. (One relation across the
        // four parts would have masked PE instead, leaving maladie = 60 − 56.)
        let mut v = vec![
            value(Level::Caisse, Some("c1"), Some("A"), None, None, 60),
            part("branch", "maladie", 4),
            part("branch", "retraite", 56),
            part("file_type", "PE", 30),
            part("file_type", "PN", 30),
        ];
        assert_eq!(run(&mut v, 11), 1);
        let hidden: Vec<_> = v
            .iter()
            .filter(|x| x.suppressed)
            .map(|x| x.dimension_value.clone())
            .collect();
        assert_eq!(
            hidden,
            vec![Some("maladie".into()), Some("retraite".into())]
        );
        // Two relations, one per breakdown, both with the whole as total.
        let relations = relations(&v);
        assert_eq!(relations.len(), 2);
        assert!(relations.iter().all(|r| r.total == 0 && r.parts.len() == 2));
    }

    #[test]
    fn breakdown_values_without_a_whole_have_no_breakdown_relation() {
        // `whole = false`: c1 has maladie 4 and retraite 56, and no whole to recover from.
        let mut v = vec![part("branch", "maladie", 4), part("branch", "retraite", 56)];
        assert_eq!(run(&mut v, 11), 0);
        assert!(relations(&v).is_empty());
        assert_eq!(v.iter().filter(|x| x.suppressed).count(), 1);
    }

    #[test]
    fn a_masked_month_takes_another_month_of_the_year() {
        let mut v = vec![value(Level::Caisse, Some("c1"), Some("A"), None, None, 70)];
        for (m, n) in [(1, 20), (2, 3), (3, 15), (4, 32)] {
            v.push(value(
                Level::Caisse,
                Some("c1"),
                Some("A"),
                None,
                Some(m),
                n,
            ));
        }
        assert_eq!(run(&mut v, 11), 1);
        let months: Vec<_> = v.iter().filter(|x| x.suppressed).map(|x| x.month).collect();
        assert_eq!(months, vec![Some(2), Some(3)]);
    }

    #[test]
    fn the_same_values_in_any_order_mask_the_same_cells() {
        let build = || {
            let mut v = Vec::new();
            for (c, n) in [("c1", 9), ("c2", 14), ("c3", 14), ("c4", 50)] {
                v.push(value(Level::Caisse, Some(c), Some("A"), None, None, n));
            }
            v.push(value(Level::Organism, None, Some("A"), None, None, 87));
            v.push(value(Level::National, None, None, None, None, 87));
            v
        };
        let mut a = build();
        let mut b = build();
        b.reverse();
        run(&mut a, 11);
        run(&mut b, 11);
        assert_eq!(masked(&a), masked(&b));
        assert_eq!(a.iter().filter(|x| x.suppressed).count(), 2);
    }

    fn definition(extra: &str, table: &str) -> Indicator {
        let mut ind: Indicator = toml::from_str(&format!(
            "label_fr = \"x\"\nlabel_en = \"x\"\ndirection = \"higher\"\norigin = \"test\"\n{extra}"
        ))
        .unwrap();
        ind.table = table.into();
        ind
    }

    fn at(id: &str, level: Level, caisse: Option<&str>, year: i32, n: i64) -> IndicatorValue {
        let organism = (level != Level::National).then_some("O");
        IndicatorValue {
            indicator_id: id.into(),
            year,
            ..value(level, caisse, organism, None, None, n)
        }
    }

    #[test]
    fn derived_values_follow_their_inputs_or_their_caisse_count() {
        let mut catalogue = Catalogue::default();
        for (text, table) in [
            (
                "id = \"x\"\nunit = \"%\"\nmethod = \"share\"\nperiod_date = \"d\"\ncondition = \"c\"",
                "calls",
            ),
            (
                "id = \"x_ok\"\nunit = \"%\"\nmethod = \"complement\"\nof = \"x\"",
                "calls",
            ),
            (
                "id = \"x_yoy\"\nunit = \"pt\"\nmethod = \"yoy\"\nof = \"x\"",
                "calls",
            ),
            // A yoy of the complement, sorted before it: the masks need a second pass.
            (
                "id = \"a_ok_yoy\"\nunit = \"pt\"\nmethod = \"yoy\"\nof = \"x_ok\"",
                "calls",
            ),
            (
                "id = \"x_c90\"\nunit = \"count\"\nmethod = \"caisses_meeting\"\nof = \"x\"\nmeeting = \">= 90\"",
                "calls",
            ),
            (
                "id = \"p\"\nunit = \"ratio\"\nmethod = \"ratio\"\nperiod_date = \"year\"\nnumerator = \"a\"\ndenominator = \"b\"",
                "costs",
            ),
            (
                "id = \"p_disp\"\nunit = \"%\"\nmethod = \"dispersion\"\nof = \"p\"",
                "costs",
            ),
        ] {
            catalogue.indicators.push(definition(text, table));
        }
        catalogue.suppression_thresholds.insert("costs".into(), 0);
        let c = Level::Caisse;
        let mut v = vec![
            // x 2024: C1 has 5 records (primary); organism O is published, so C2 (30, the
            // smallest other caisse) is masked too (secondary). C3 and C4 are published.
            at("x", c, Some("C1"), 2024, 5),
            at("x", c, Some("C2"), 2024, 30),
            at("x", c, Some("C3"), 2024, 40),
            at("x", c, Some("C4"), 2024, 50),
            at("x", Level::Organism, None, 2024, 125),
            // x 2023: C4 has 4 records (primary); no organism value, so nothing else.
            at("x", c, Some("C3"), 2023, 30),
            at("x", c, Some("C4"), 2023, 4),
            // The complement of each: masked where x is, whatever its own n_records.
            at("x_ok", c, Some("C1"), 2024, 5),
            at("x_ok", c, Some("C3"), 2024, 40),
            at("x_ok", c, Some("C4"), 2023, 4),
            at("x_ok", c, Some("C4"), 2024, 50),
            at("x_ok", Level::Organism, None, 2024, 125),
            // yoy: masked when x(N) or x(N−1) is: C1 (2024) and C4 (2023), not C3.
            at("x_yoy", c, Some("C1"), 2024, 5),
            at("x_yoy", c, Some("C3"), 2024, 40),
            at("x_yoy", c, Some("C4"), 2024, 50),
            // yoy of the complement: C4 reads x_ok C4 2023, masked in turn.
            at("a_ok_yoy", c, Some("C3"), 2024, 40),
            at("a_ok_yoy", c, Some("C4"), 2024, 50),
            // Caisses meeting 90 %: O pools 2 caisses (< 3): masked; the nation pools 4.
            at("x_c90", Level::Organism, None, 2024, 2),
            at("x_c90", Level::National, None, 2024, 4),
            // Dispersion of a table with threshold 0 (costs): never masked.
            at("p_disp", Level::Organism, None, 2024, 2),
        ];
        crate::model::sort(&mut v);
        let s = apply(&mut v, &catalogue, 11);
        let mut hidden: Vec<_> = v
            .iter()
            .filter(|x| x.suppressed)
            .map(|x| {
                let entity = x
                    .caisse_id
                    .clone()
                    .or(x.organism.clone())
                    .unwrap_or_default();
                format!("{} {} {}", x.indicator_id, entity, x.year)
            })
            .collect();
        hidden.sort();
        assert_eq!(
            hidden,
            vec![
                "a_ok_yoy C4 2024",
                "x C1 2024",
                "x C2 2024",
                "x C4 2023",
                "x_c90 O 2024",
                "x_ok C1 2024",
                "x_ok C4 2023",
                "x_yoy C1 2024",
                "x_yoy C4 2024",
            ]
        );
        // Primary: x C1, x C4 2023 and the caisse count of x_c90; secondary: x C2 and the five
        // values masked for their inputs.
        assert_eq!((s.primary, s.secondary), (3, 6));
    }
}
