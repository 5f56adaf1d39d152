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

/// One target: an organism's objective for one indicator and year.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub organism: String,
    pub indicator: String,
    pub definition: String,
    /// `None`: the whole; `Some(v)`: that breakdown value (a branch, a channel).
    pub dimension_value: Option<String>,
    pub year: i32,
    pub op: Op,
    pub value: f64,
    /// Whether the operator is printed in the document (else it comes from the direction).
    pub op_printed: bool,
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
