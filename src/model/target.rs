//! COG targets: what an organism signed for, for one indicator and year, and the comparison
//! that decides whether a value meets it. Loading them is `crate::pipelines::targets`; applying
//! them to computed values is `crate::assess::targets`.

use std::fmt;

/// A comparison of a COG target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Ge,
    Le,
    Lt,
    Gt,
    Eq,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Ge => ">=",
            Op::Le => "<=",
            Op::Lt => "<",
            Op::Gt => ">",
            Op::Eq => "=",
        }
    }

    /// Whether `value` meets `target`. Both are compared at 6 decimal places, so that a mean
    /// of exactly 6 days is "≤ 6" even when its floating-point division is off in the 15th digit.
    pub fn met(self, value: f64, target: f64) -> bool {
        let round = |x: f64| (x * 1e6).round();
        let (v, t) = (round(value), round(target));
        match self {
            Op::Ge => v >= t,
            Op::Le => v <= t,
            Op::Lt => v < t,
            Op::Gt => v > t,
            Op::Eq => v == t,
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The form of a target (`indicator_values.target_kind`, indicators-v2 §1.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TargetKind {
    /// A number: « ≤ 6 jours », « 92% ».
    Absolute,
    /// The indicator's own value of the year before, changed or not.
    PreviousYear,
    /// The indicator's own value of a base year, changed once or every year since.
    BaseYear,
    /// Words without a threshold: « À définir », « ND ».
    Text,
    /// An indicateur de suivi: no objective is set.
    Monitoring,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Absolute => "absolute",
            TargetKind::PreviousYear => "previous_year",
            TargetKind::BaseYear => "base_year",
            TargetKind::Text => "text",
            TargetKind::Monitoring => "monitoring",
        }
    }
}

/// A signed change of a base value: `pt`, in the indicator's own unit (points of a `%`
/// value), or `%`, relative to the base.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Change {
    Points(f64),
    Percent(f64),
}

/// What a condition compares the value with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Threshold {
    /// A number.
    Absolute(f64),
    /// x(N−1), changed by `change` when set.
    PreviousYear(Option<Change>),
    /// x(`year`), changed by `change` once, or `per_year` for each year since `year`.
    BaseYear {
        year: i32,
        change: Option<Change>,
        per_year: bool,
    },
}

impl Threshold {
    pub fn kind(&self) -> TargetKind {
        match self {
            Threshold::Absolute(_) => TargetKind::Absolute,
            Threshold::PreviousYear(_) => TargetKind::PreviousYear,
            Threshold::BaseYear { .. } => TargetKind::BaseYear,
        }
    }

    /// The threshold of year `year`, reading the indicator's own yearly values with `value_at`
    /// (at the same caisse or organism, definition and breakdown value). `None` when the base
    /// value is missing.
    ///
    /// - previous year: x(N−1) + d (`pt`) or x(N−1) × (1 + d/100) (`%`);
    /// - base year B: x(B) + d or x(B) × (1 + d/100); per year, x(B) + d × (N − B) or
    ///   x(B) × (1 + d/100)^(N − B).
    pub fn resolve(&self, year: i32, value_at: impl Fn(i32) -> Option<f64>) -> Option<f64> {
        let apply = |base: f64, change: Option<Change>, times: i32| match change {
            None => base,
            Some(Change::Points(d)) => base + d * f64::from(times),
            Some(Change::Percent(d)) => base * (1.0 + d / 100.0).powi(times),
        };
        match *self {
            Threshold::Absolute(t) => Some(t),
            Threshold::PreviousYear(change) => value_at(year - 1).map(|b| apply(b, change, 1)),
            Threshold::BaseYear {
                year: base,
                change,
                per_year,
            } => value_at(base).map(|b| apply(b, change, if per_year { year - base } else { 1 })),
        }
    }
}

/// One condition of a target: an operator and a threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Condition {
    pub op: Op,
    pub threshold: Threshold,
    /// Whether the operator is printed in the document (else it comes from the direction).
    pub op_printed: bool,
}

impl fmt::Display for Condition {
    /// As written in `pipelines/targets`: `>= 6`, `> prev`, `<= base(2016) - 0.02 pt/yr`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.op)?;
        match self.threshold {
            Threshold::Absolute(t) => write!(f, "{t}"),
            Threshold::PreviousYear(c) => {
                write!(f, "prev")?;
                write_change(f, c, false)
            }
            Threshold::BaseYear {
                year,
                change,
                per_year,
            } => {
                write!(f, "base({year})")?;
                write_change(f, change, per_year)
            }
        }
    }
}

/// ` + 0.25 pt`, ` - 2 %/yr`, or nothing.
fn write_change(f: &mut fmt::Formatter<'_>, change: Option<Change>, per_year: bool) -> fmt::Result {
    let yr = if per_year { "/yr" } else { "" };
    let (d, unit) = match change {
        None => return Ok(()),
        Some(Change::Points(d)) => (d, "pt"),
        Some(Change::Percent(d)) => (d, "%"),
    };
    let sign = if d < 0.0 { '-' } else { '+' };
    write!(f, " {sign} {} {unit}{yr}", d.abs())
}

/// What a target asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Objective {
    /// Conditions that must all hold (one or more, all of the same direction).
    Conditions(Vec<Condition>),
    /// Words without a threshold (« À définir »).
    Text,
    /// An indicateur de suivi.
    Monitoring,
}

/// One target: an organism's objective for one indicator and year.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub organism: String,
    pub indicator: String,
    pub definition: String,
    /// `None`: the whole; `Some(v)`: that breakdown value (a branch, a channel).
    pub dimension_value: Option<String>,
    pub year: i32,
    pub objective: Objective,
    /// The document's words for this year's target, verbatim (`indicator_values.target_text`).
    pub text: String,
    /// The indicator's number (or code) in the document.
    pub number: String,
    /// Document and indicator number, e.g. "Cavimac COG 2023-2027 (000_….txt) n°6".
    pub source: String,
    /// The document's file name (its identifier in the seed collection, e.g. `000_….txt`).
    pub document: String,
    /// Verbatim snippets of the document that hold the target; they stand on one line of the
    /// document's text (a test checks it).
    pub printed: Vec<String>,
    pub note: Option<String>,
    /// The years of the document's convention (its targets' years unless the file says).
    pub period: (i32, i32),
    /// The annex section the row is printed in when not the indicator's own theme (annex
    /// rows placed by the annex, indicators-v2 §6).
    pub theme: Option<crate::model::Theme>,
}

impl Target {
    /// The conditions (none for a text or monitoring target).
    pub fn conditions(&self) -> &[Condition] {
        match &self.objective {
            Objective::Conditions(c) => c,
            Objective::Text | Objective::Monitoring => &[],
        }
    }

    /// The form: that of the binding condition when every condition is absolute (the
    /// others are known once resolved), else of the first.
    pub fn kind(&self) -> TargetKind {
        match &self.objective {
            Objective::Text => TargetKind::Text,
            Objective::Monitoring => TargetKind::Monitoring,
            Objective::Conditions(c) => c.first().map_or(TargetKind::Text, |c| c.threshold.kind()),
        }
    }

    /// The operator and number of a target whose conditions are all absolute numbers: the
    /// binding one (the highest threshold for ≥ and >, the lowest for ≤ and <, the strict one
    /// on equal thresholds). `None` for the other forms, whose threshold depends on values.
    pub fn fixed(&self) -> Option<(Op, f64)> {
        let mut out: Option<(Op, f64)> = None;
        for c in self.conditions() {
            let Threshold::Absolute(t) = c.threshold else {
                return None;
            };
            out = Some(match out {
                Some(b) if !c.op.binds_over(t, b) => b,
                _ => (c.op, t),
            });
        }
        out
    }
}

impl Op {
    /// +1 for ≥ and >, −1 for ≤ and <, 0 for =.
    pub fn sense(self) -> i8 {
        match self {
            Op::Ge | Op::Gt => 1,
            Op::Le | Op::Lt => -1,
            Op::Eq => 0,
        }
    }

    pub fn strict(self) -> bool {
        matches!(self, Op::Gt | Op::Lt)
    }

    /// Whether the condition `self threshold` binds over `other` (same sense): a higher
    /// threshold for ≥ and >, a lower one for ≤ and <, the strict operator on equal thresholds
    /// (compared at 6 decimals, as values are).
    pub fn binds_over(self, threshold: f64, (other_op, other): (Op, f64)) -> bool {
        let round = |x: f64| (x * 1e6).round();
        let (t, o) = (round(threshold), round(other));
        if t == o {
            return self.strict() && !other_op.strict();
        }
        match self.sense() {
            1 => t > o,
            -1 => t < o,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons_on_both_sides_and_at_equality() {
        assert!(Op::Le.met(6.0, 6.0) && !Op::Lt.met(6.0, 6.0));
        assert!(Op::Le.met(5.99, 6.0) && Op::Lt.met(5.99, 6.0));
        assert!(!Op::Le.met(6.01, 6.0) && !Op::Lt.met(6.01, 6.0));
        assert!(Op::Ge.met(92.0, 92.0) && !Op::Gt.met(80.0, 80.0));
        assert!(Op::Gt.met(80.01, 80.0) && !Op::Ge.met(91.99, 92.0));
        assert!(Op::Eq.met(50.0, 50.0) && !Op::Eq.met(50.1, 50.0));
        // A mean of exactly 6 computed as 18/3 in floating point, and 0.1 + 0.2 against 0.3.
        assert!(Op::Le.met(18.0 / 3.0, 6.0));
        assert!(Op::Le.met(0.1 + 0.2, 0.3) && Op::Ge.met(0.1 + 0.2, 0.3));
    }
}
