//! Targets: whether each yearly caisse and organism value meets its organism's COG target.

use std::collections::HashMap;

use crate::model::{IndicatorValue, Level, Target};

/// Sets `target_op`, `target` and `target_met` on the yearly values at caisse and organism
/// level (the COG targets are yearly objectives of the organism and of each of its caisses).
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
    for v in values.iter_mut() {
        if v.month.is_some() || v.level == Level::National {
            continue;
        }
        let Some(organism) = v.organism.as_deref() else {
            continue;
        };
        let key = |dim| {
            (
                organism,
                v.indicator_id.as_str(),
                v.definition.as_str(),
                v.year,
                dim,
            )
        };
        if let Some(t) = index.get(&key(v.dimension_value.as_deref())) {
            v.target_op = Some(t.op.as_str().to_string());
            v.target = Some(t.value);
            v.target_met = Some(t.op.met(v.value, t.value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Op, Unit};

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
            n_pending: None,
            provisional: false,
        }
    }

    fn target(year: i32, op: Op, value: f64) -> Target {
        Target {
            organism: "CAVIMAC".into(),
            indicator: "x".into(),
            definition: "CAVIMAC".into(),
            dimension_value: None,
            year,
            op,
            value,
            op_printed: true,
            number: "6".into(),
            source: "Cavimac COG n°6".into(),
            document: "000.txt".into(),
            printed: vec![],
            note: None,
        }
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
            &[target(2024, Op::Le, 6.0), target(2025, Op::Lt, 6.0)],
        );
        assert_eq!(values[0].target_met, Some(true));
        assert_eq!(values[0].target_op.as_deref(), Some("<="));
        assert_eq!(values[1].target_met, Some(false));
        assert_eq!(values[1].target, Some(6.0));
        assert_eq!(values[2].target_met, None);
        assert_eq!(values[3].target_met, None);
        let mut strict = vec![value(Level::Caisse, Some("CAVIMAC"), None, 6.0)];
        apply(&mut strict, &[target(2024, Op::Lt, 6.0)]);
        assert_eq!(strict[0].target_met, Some(false));
    }
}
