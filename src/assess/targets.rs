//! Targets: whether each yearly caisse and organism value meets its organism's COG target
//! (indicators-v2 §1.7, §9.18–21).
//!
//! A target is one or more conditions. An absolute condition compares with its number; a
//! `previous_year` or `base_year` condition with the indicator's own value of year N−1 or of
//! the base year, at the same caisse or organism, definition and breakdown value. Several
//! conditions combine in three-valued logic: `false` when a resolved condition fails, else
//! null when one is unresolved (its base is missing), else `true`. The condition reported
//! (`target_op`, `target`, `target_kind`) is the one that binds.

use std::collections::{HashMap, HashSet};

use crate::model::{Condition, IndicatorValue, Level, Objective, Op, Target, TargetKind};

/// What one target says of one value.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub kind: TargetKind,
    pub op: Option<Op>,
    /// The resolved threshold of the binding condition; null when unresolved.
    pub target: Option<f64>,
    pub met: Option<bool>,
}

/// Assesses `value` of year `year` against `objective`, reading the indicator's own yearly
/// values with `value_at`.
///
/// The binding condition: when every condition is resolved, the tightest (highest threshold
/// for ≥ and >, lowest for ≤ and <, the strict one on equal thresholds); when one fails, the
/// tightest of those that fail; otherwise (a base missing and none failing) the first
/// unresolved one, with no threshold.
pub fn assess(
    objective: &Objective,
    value: f64,
    year: i32,
    value_at: impl Fn(i32) -> Option<f64>,
) -> Outcome {
    let conditions = match objective {
        Objective::Text => return none(TargetKind::Text),
        Objective::Monitoring => return none(TargetKind::Monitoring),
        Objective::Conditions(c) => c,
    };
    let resolved: Vec<(&Condition, Option<f64>)> = conditions
        .iter()
        .map(|c| (c, c.threshold.resolve(year, &value_at)))
        .collect();
    let failing = tightest(
        resolved
            .iter()
            .filter_map(|(c, t)| t.filter(|t| !c.op.met(value, *t)).map(|t| (*c, t))),
    );
    let outcome = |c: &Condition, target: Option<f64>, met: Option<bool>| Outcome {
        kind: c.threshold.kind(),
        op: Some(c.op),
        target,
        met,
    };
    if let Some((c, t)) = failing {
        return outcome(c, Some(t), Some(false));
    }
    if let Some(&(c, _)) = resolved.iter().find(|(_, t)| t.is_none()) {
        return outcome(c, None, None);
    }
    match tightest(resolved.iter().filter_map(|(c, t)| t.map(|t| (*c, t)))) {
        Some((c, t)) => outcome(c, Some(t), Some(true)),
        None => none(TargetKind::Text),
    }
}

/// The condition that binds among resolved ones: the highest threshold for ≥ and >, the lowest
/// for ≤ and <, the strict operator on equal thresholds.
fn tightest<'c>(
    candidates: impl Iterator<Item = (&'c Condition, f64)>,
) -> Option<(&'c Condition, f64)> {
    let mut best: Option<(&Condition, f64)> = None;
    for (c, t) in candidates {
        best = match best {
            Some((b, bt)) if !c.op.binds_over(t, (b.op, bt)) => Some((b, bt)),
            _ => Some((c, t)),
        };
    }
    best
}

fn none(kind: TargetKind) -> Outcome {
    Outcome {
        kind,
        op: None,
        target: None,
        met: None,
    }
}

/// The key of a yearly value: indicator, definition, level, caisse, organism, breakdown value.
type Entity<'a> = (
    &'a str,
    &'a str,
    Level,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
);

fn entity(v: &IndicatorValue) -> Entity<'_> {
    (
        &v.indicator_id,
        &v.definition,
        v.level,
        v.caisse_id.as_deref(),
        v.organism.as_deref(),
        v.dimension_value.as_deref(),
    )
}

/// Sets `target_op`, `target`, `target_met`, `target_kind` and `target_text` on the yearly
/// values at caisse and organism level (the COG targets are yearly objectives of the organism
/// and of each of its caisses).
pub fn apply(values: &mut [IndicatorValue], targets: &[Target]) {
    let mut index: HashMap<(&str, &str, &str, i32, Option<&str>), &Target> = HashMap::new();
    for t in targets {
        index.insert(
            (
                &t.organism,
                &t.indicator,
                &t.definition,
                t.year,
                t.dimension_value.as_deref(),
            ),
            t,
        );
    }
    // The yearly values the change targets read (x(N−1), x(B)), of the indicators that have one.
    let relative: HashSet<(&str, &str)> = targets
        .iter()
        .filter(|t| {
            t.conditions()
                .iter()
                .any(|c| c.threshold.kind() != TargetKind::Absolute)
        })
        .map(|t| (t.indicator.as_str(), t.definition.as_str()))
        .collect();
    let mut yearly: HashMap<(Entity, i32), f64> = HashMap::new();
    for v in values.iter() {
        if v.month.is_none()
            && v.level != Level::National
            && relative.contains(&(v.indicator_id.as_str(), v.definition.as_str()))
        {
            yearly.insert((entity(v), v.year), v.value);
        }
    }
    let mut outcomes = Vec::new();
    for (i, v) in values.iter().enumerate() {
        if v.month.is_some() || v.level == Level::National {
            continue;
        }
        let Some(organism) = v.organism.as_deref() else {
            continue;
        };
        let key = (
            organism,
            v.indicator_id.as_str(),
            v.definition.as_str(),
            v.year,
            v.dimension_value.as_deref(),
        );
        if let Some(t) = index.get(&key) {
            let own = entity(v);
            let outcome = assess(&t.objective, v.value, v.year, |y| {
                yearly.get(&(own, y)).copied()
            });
            outcomes.push((i, outcome, t.text.clone()));
        }
    }
    for (i, o, text) in outcomes {
        let v = &mut values[i];
        v.target_op = o.op.map(|op| op.as_str().to_string());
        v.target = o.target;
        v.target_met = o.met;
        v.target_kind = Some(o.kind.as_str().to_string());
        v.target_text = Some(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Change, Threshold, Unit};

    fn value(level: Level, organism: Option<&str>, month: Option<i32>, v: f64) -> IndicatorValue {
        IndicatorValue {
            indicator_id: "x".into(),
            definition: "CAVIMAC".into(),
            level,
            caisse_id: (level == Level::Caisse).then(|| "C1".to_string()),
            organism: organism.map(String::from),
            dimension: None,
            dimension_value: None,
            year: 2024,
            month,
            numerator: None,
            denominator: None,
            value: v,
            unit: Unit::Days,
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

    fn target(year: i32, conditions: Vec<Condition>) -> Target {
        Target {
            organism: "CAVIMAC".into(),
            indicator: "x".into(),
            definition: "CAVIMAC".into(),
            dimension_value: None,
            year,
            objective: Objective::Conditions(conditions),
            text: "≤ 6 jours".into(),
            number: "6".into(),
            source: "Cavimac COG n°6".into(),
            document: "000.txt".into(),
            printed: vec![],
            note: None,
            period: (2023, 2027),
            theme: None,
        }
    }

    fn c(op: Op, threshold: Threshold) -> Condition {
        Condition {
            op,
            threshold,
            op_printed: true,
        }
    }

    fn abs(op: Op, t: f64) -> Condition {
        c(op, Threshold::Absolute(t))
    }

    /// A yearly target binds the caisse and the organism of its year, not the months, not the
    /// nation, not another year; « ≤ 6 » is met at exactly 6 and « < 6 » is not.
    #[test]
    fn yearly_caisse_and_organism_values_only() {
        let mut values = vec![
            value(Level::Caisse, Some("CAVIMAC"), None, 6.0),
            value(Level::Organism, Some("CAVIMAC"), None, 6.5),
            value(Level::Caisse, Some("CAVIMAC"), Some(3), 1.0),
            value(Level::National, None, None, 1.0),
        ];
        apply(
            &mut values,
            &[
                target(2024, vec![abs(Op::Le, 6.0)]),
                target(2025, vec![abs(Op::Lt, 6.0)]),
            ],
        );
        assert_eq!(values[0].target_met, Some(true));
        assert_eq!(values[0].target_op.as_deref(), Some("<="));
        assert_eq!(values[0].target_kind.as_deref(), Some("absolute"));
        assert_eq!(values[0].target_text.as_deref(), Some("≤ 6 jours"));
        assert_eq!(values[1].target_met, Some(false));
        assert_eq!(values[1].target, Some(6.0));
        assert_eq!(values[2].target_met, None);
        assert_eq!(values[2].target_kind, None);
        assert_eq!(values[3].target_met, None);
        let mut strict = vec![value(Level::Caisse, Some("CAVIMAC"), None, 6.0)];
        apply(&mut strict, &[target(2024, vec![abs(Op::Lt, 6.0)])]);
        assert_eq!(strict[0].target_met, Some(false));
    }

    /// Values by year for the resolution tests.
    fn series(pairs: &[(i32, f64)]) -> impl Fn(i32) -> Option<f64> + '_ {
        move |y| pairs.iter().find(|(py, _)| *py == y).map(|p| p.1)
    }

    fn one(cond: Condition) -> Objective {
        Objective::Conditions(vec![cond])
    }

    #[test]
    fn previous_year_in_points_and_percent() {
        let x = [(2019, 80.0), (2020, 81.0)];
        // « > prev »: 81 > 80.
        let o = assess(
            &one(c(Op::Gt, Threshold::PreviousYear(None))),
            81.0,
            2020,
            series(&x),
        );
        assert_eq!(
            (o.kind, o.op, o.target, o.met),
            (
                TargetKind::PreviousYear,
                Some(Op::Gt),
                Some(80.0),
                Some(true)
            )
        );
        // « >= prev + 1 pt »: 80 + 1 = 81, met at equality.
        let plus_pt = one(c(
            Op::Ge,
            Threshold::PreviousYear(Some(Change::Points(1.0))),
        ));
        let o = assess(&plus_pt, 81.0, 2020, series(&x));
        assert_eq!((o.target, o.met), (Some(81.0), Some(true)));
        // « >= prev + 1 % »: 80 × 1,01 = 80,8: a relative change, not the same threshold.
        let plus_pc = one(c(
            Op::Ge,
            Threshold::PreviousYear(Some(Change::Percent(1.0))),
        ));
        let o = assess(&plus_pc, 80.79, 2020, series(&x));
        assert!((o.target.unwrap() - 80.8).abs() < 1e-9);
        assert_eq!(o.met, Some(false));
        // « <= prev - 2 % » of 50 days: 49.
        let y = [(2019, 50.0)];
        let minus = one(c(
            Op::Le,
            Threshold::PreviousYear(Some(Change::Percent(-2.0))),
        ));
        let o = assess(&minus, 49.0, 2020, series(&y));
        assert!((o.target.unwrap() - 49.0).abs() < 1e-9);
        assert_eq!(o.met, Some(true));
    }

    /// x(N−1) missing: unresolved, the operator and form kept, no threshold, no verdict.
    #[test]
    fn previous_year_missing() {
        let x = [(2018, 80.0)];
        let o = assess(
            &one(c(Op::Gt, Threshold::PreviousYear(None))),
            81.0,
            2020,
            series(&x),
        );
        assert_eq!(
            (o.kind, o.op, o.target, o.met),
            (TargetKind::PreviousYear, Some(Op::Gt), None, None)
        );
    }

    /// The annex's example (indicators-v2 §1.7): base 2008 = 92,80 % and « Résultat 2008 +
    /// 0,25 point » in 2009 → 93,05; « + 1,25 point » in 2013 → 94,05.
    #[test]
    fn base_year_once_points_and_percent() {
        let x = [(2008, 92.80)];
        let base = |change| {
            one(c(
                Op::Ge,
                Threshold::BaseYear {
                    year: 2008,
                    change: Some(change),
                    per_year: false,
                },
            ))
        };
        let o = assess(&base(Change::Points(0.25)), 93.05, 2009, series(&x));
        assert_eq!((o.kind, o.met), (TargetKind::BaseYear, Some(true)));
        assert!((o.target.unwrap() - 93.05).abs() < 1e-9);
        let o = assess(&base(Change::Points(1.25)), 94.0, 2013, series(&x));
        assert!((o.target.unwrap() - 94.05).abs() < 1e-9);
        assert_eq!(o.met, Some(false));
        // « + 12,50 % par rapport à 2008 » of 40 000 accounts: 45 000, once (not per year).
        let y = [(2008, 40_000.0)];
        let o = assess(&base(Change::Percent(12.5)), 45_000.0, 2011, series(&y));
        assert_eq!((o.target, o.met), (Some(45_000.0), Some(true)));
    }

    /// « Diminution annuelle de 0,02 point en moyenne sur la période 2017 - 2020 », base 2016 =
    /// 1,50 %: 2017 ≤ 1,48; 2018 ≤ 1,46; 2019 ≤ 1,44 (three years: 1,50 − 3 × 0,02). In % per
    /// year from 200: 2019 ≤ 200 × 0,98³ = 188,2384.
    #[test]
    fn base_year_per_year_over_three_years() {
        let x = [(2016, 1.50)];
        let per_year = |change| {
            one(c(
                Op::Le,
                Threshold::BaseYear {
                    year: 2016,
                    change: Some(change),
                    per_year: true,
                },
            ))
        };
        let points = per_year(Change::Points(-0.02));
        for (year, threshold) in [(2017, 1.48), (2018, 1.46), (2019, 1.44)] {
            let o = assess(&points, threshold, year, series(&x));
            assert!((o.target.unwrap() - threshold).abs() < 1e-9, "{year}");
            // Met at equality (6 decimals), missed just above.
            assert_eq!(o.met, Some(true), "{year}");
            let above = assess(&points, threshold + 0.001, year, series(&x));
            assert_eq!(above.met, Some(false), "{year}");
        }
        let y = [(2016, 200.0)];
        let o = assess(&per_year(Change::Percent(-2.0)), 188.2384, 2019, series(&y));
        assert!((o.target.unwrap() - 188.2384).abs() < 1e-9);
        assert_eq!(o.met, Some(true));
    }

    #[test]
    fn base_year_missing() {
        let x = [(2017, 1.5)];
        let o = assess(
            &one(c(
                Op::Le,
                Threshold::BaseYear {
                    year: 2016,
                    change: Some(Change::Points(-0.02)),
                    per_year: true,
                },
            )),
            1.0,
            2018,
            series(&x),
        );
        assert_eq!(
            (o.kind, o.op, o.target, o.met),
            (TargetKind::BaseYear, Some(Op::Le), None, None)
        );
    }

    /// Camieg n°21 « 6 % - Chiffre en progression chaque année »: [">= 6", "> prev"].
    #[test]
    fn several_conditions() {
        let both = Objective::Conditions(vec![
            abs(Op::Ge, 6.0),
            c(Op::Gt, Threshold::PreviousYear(None)),
        ]);
        // x(N−1) = 6 and x(N) = 6: thresholds equal, the strict one binds, and fails.
        let o = assess(&both, 6.0, 2020, series(&[(2019, 6.0)]));
        assert_eq!(
            (o.kind, o.op, o.target, o.met),
            (
                TargetKind::PreviousYear,
                Some(Op::Gt),
                Some(6.0),
                Some(false)
            )
        );
        // x(N−1) = 5, x(N) = 6,5: both hold; ≥ 6 binds (6 > 5).
        let o = assess(&both, 6.5, 2020, series(&[(2019, 5.0)]));
        assert_eq!(
            (o.kind, o.op, o.target, o.met),
            (TargetKind::Absolute, Some(Op::Ge), Some(6.0), Some(true))
        );
        // x(N−1) = 7, x(N) = 7,5: both hold; > 7 binds.
        let o = assess(&both, 7.5, 2020, series(&[(2019, 7.0)]));
        assert_eq!(
            (o.op, o.target, o.met),
            (Some(Op::Gt), Some(7.0), Some(true))
        );
        // x(N−1) missing, x(N) = 5: the absolute condition fails → false.
        let o = assess(&both, 5.0, 2020, series(&[]));
        assert_eq!(
            (o.op, o.target, o.met),
            (Some(Op::Ge), Some(6.0), Some(false))
        );
        // x(N−1) missing, x(N) = 7: nothing fails, one unresolved → null.
        let o = assess(&both, 7.0, 2020, series(&[]));
        assert_eq!(
            (o.kind, o.op, o.target, o.met),
            (TargetKind::PreviousYear, Some(Op::Gt), None, None)
        );
        // Two absolute conditions with equal thresholds: the strict one binds.
        let equal = Objective::Conditions(vec![abs(Op::Le, 3.0), abs(Op::Lt, 3.0)]);
        let o = assess(&equal, 3.0, 2020, series(&[]));
        assert_eq!((o.op, o.met), (Some(Op::Lt), Some(false)));
        let o = assess(&equal, 2.0, 2020, series(&[]));
        assert_eq!(
            (o.op, o.target, o.met),
            (Some(Op::Lt), Some(3.0), Some(true))
        );
    }

    #[test]
    fn text_and_monitoring_have_no_threshold() {
        for (objective, kind) in [
            (Objective::Text, TargetKind::Text),
            (Objective::Monitoring, TargetKind::Monitoring),
        ] {
            let o = assess(&objective, 1.0, 2020, series(&[]));
            assert_eq!((o.kind, o.op, o.target, o.met), (kind, None, None, None));
        }
    }

    /// `apply` reads x(N−1) at the same entity: the caisse's own value, not the organism's.
    #[test]
    fn apply_reads_the_same_entity() {
        let at = |level, year, v| {
            let mut x = value(level, Some("CAVIMAC"), None, v);
            x.year = year;
            x
        };
        let mut values = vec![
            at(Level::Caisse, 2023, 10.0),
            at(Level::Caisse, 2024, 9.0),
            at(Level::Organism, 2023, 8.0),
            at(Level::Organism, 2024, 9.0),
        ];
        let mut t = target(2024, vec![c(Op::Le, Threshold::PreviousYear(None))]);
        t.text = "Diminution".into();
        apply(&mut values, &[t]);
        // Caisse: 9 ≤ 10. Organism: 9 ≤ 8 fails. 2023 has no target.
        assert_eq!(
            (values[1].target, values[1].target_met),
            (Some(10.0), Some(true))
        );
        assert_eq!(
            (values[3].target, values[3].target_met),
            (Some(8.0), Some(false))
        );
        assert_eq!(values[3].target_kind.as_deref(), Some("previous_year"));
        assert_eq!(values[0].target_kind, None);
    }
}
