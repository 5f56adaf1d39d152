//! COG targets: what each organism signed for, transcribed from the four COG documents into
//! `pipelines/targets/<organism>.toml`, and checked against the computed values.
//!
//! A target names the organism, the indicator and its definition (the organism's variant when
//! it has one, else bench), the year, the comparison as printed (≤ and < differ: Cavimac n°6
//! and n°7 change from ≤ to < in 2027), the value, the document and the indicator number, and
//! the printed cells verbatim (a test finds them in the document). Where the document prints no
//! operator, the indicator's direction gives it and the target says so.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::catalogue::{BENCH, Direction, Indicator};
use crate::compute::{IndicatorValue, Level};
use crate::error::CatalogueError;

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
    /// The document's file name under `../shared/seeds/`.
    pub document: String,
    /// Verbatim snippets of the document that hold the target; they stand on one line of the
    /// document's text (a test checks it).
    pub printed: Vec<String>,
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetFile {
    organism: String,
    /// Title of the document, e.g. "Cavimac COG 2023-2027".
    title: String,
    /// File name under ../shared/seeds/.
    document: String,
    #[serde(default)]
    target: Vec<TargetEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetEntry {
    indicator: String,
    definition: Option<String>,
    /// Breakdown values the target applies to; none: the whole.
    #[serde(default)]
    dimension_values: Vec<String>,
    /// The indicator's number (or code) in the document.
    number: String,
    printed: Vec<String>,
    /// Year → "<= 6", "< 6", "92" (no operator printed).
    values: BTreeMap<String, String>,
    /// The operator to read where none is printed and the direction gives none (a volume).
    assumed_operator: Option<String>,
    note: Option<String>,
}

/// A file's path and text, kept for the catalogue's version hash.
pub type Source = (PathBuf, String);

/// Reads every `*.toml` of `dir` (absent folder: no targets) against the loaded indicators.
pub fn load(
    dir: &Path,
    indicators: &[Indicator],
) -> Result<(Vec<Target>, Vec<Source>), CatalogueError> {
    let sources = if dir.is_dir() {
        crate::catalogue::read_toml_dir(dir)?
    } else {
        Vec::new()
    };
    let targets = from_sources(&sources, indicators)?;
    Ok((targets, sources))
}

/// Parses target files given as (file, text).
pub fn from_sources(
    sources: &[(PathBuf, String)],
    indicators: &[Indicator],
) -> Result<Vec<Target>, CatalogueError> {
    let mut targets = Vec::new();
    for (file, text) in sources {
        let parsed: TargetFile = toml::from_str(text).map_err(|e| CatalogueError::Parse {
            file: file.clone(),
            message: e.to_string(),
        })?;
        for entry in parsed.target {
            let invalid = |message: String| CatalogueError::Invalid {
                file: file.clone(),
                indicator: entry.indicator.clone(),
                message,
            };
            // The organism's own variant when it has one, else bench.
            let definition = entry.definition.clone().unwrap_or_else(|| {
                let has_variant = indicators
                    .iter()
                    .any(|i| i.id == entry.indicator && i.definition == parsed.organism);
                if has_variant {
                    parsed.organism.clone()
                } else {
                    BENCH.to_string()
                }
            });
            let Some(ind) = indicators
                .iter()
                .find(|i| i.id == entry.indicator && i.definition == definition)
            else {
                return Err(invalid(format!(
                    "no definition '{definition}' of this indicator in the catalogue"
                )));
            };
            if !entry.dimension_values.is_empty() && ind.dimension.is_none() {
                return Err(invalid(
                    "dimension_values given for an indicator without breakdown".into(),
                ));
            }
            let assumed = match entry.assumed_operator.as_deref() {
                None => None,
                Some(text) => Some(parse_op(text).ok_or_else(|| {
                    invalid(format!(
                        "assumed_operator '{text}' is not one of >=, <=, <, >, ="
                    ))
                })?),
            };
            let dimensions: Vec<Option<String>> = if entry.dimension_values.is_empty() {
                vec![None]
            } else {
                entry.dimension_values.iter().cloned().map(Some).collect()
            };
            for (year, cell) in &entry.values {
                let year: i32 = year
                    .parse()
                    .map_err(|_| invalid(format!("'{year}' is not a year")))?;
                let (op, value, op_printed) = parse_cell(cell, ind.direction, assumed)
                    .map_err(|m| invalid(format!("{year}: {m}")))?;
                let mut note = entry.note.clone();
                if !op_printed {
                    let why = match assumed {
                        Some(_) => "assumed (see the note)".to_string(),
                        None => format!(
                            "from the indicator's direction ({})",
                            ind.direction.as_str()
                        ),
                    };
                    let inferred = format!("No operator printed: '{op}' {why}.");
                    note = Some(match note {
                        Some(n) => format!("{n} {inferred}"),
                        None => inferred,
                    });
                }
                for dimension_value in &dimensions {
                    targets.push(Target {
                        organism: parsed.organism.clone(),
                        indicator: entry.indicator.clone(),
                        definition: definition.clone(),
                        dimension_value: dimension_value.clone(),
                        year,
                        op,
                        value,
                        op_printed,
                        number: entry.number.clone(),
                        source: format!(
                            "{} ({}) n°{}",
                            parsed.title, parsed.document, entry.number
                        ),
                        document: parsed.document.clone(),
                        printed: entry.printed.clone(),
                        note: note.clone(),
                    });
                }
            }
        }
    }
    Ok(targets)
}

const OPERATORS: [(&str, Op); 5] = [
    (">=", Op::Ge),
    ("<=", Op::Le),
    ("<", Op::Lt),
    (">", Op::Gt),
    ("=", Op::Eq),
];

fn parse_op(text: &str) -> Option<Op> {
    OPERATORS
        .iter()
        .find(|(s, _)| *s == text.trim())
        .map(|(_, op)| *op)
}

/// "<= 6" → (≤, 6, printed); "92" → (the assumed operator, or ≥ / ≤ by direction, 92, not printed).
fn parse_cell(
    cell: &str,
    direction: Direction,
    assumed: Option<Op>,
) -> Result<(Op, f64, bool), String> {
    let cell = cell.trim();
    let (op, rest, printed) = OPERATORS
        .iter()
        .find_map(|(s, op)| cell.strip_prefix(s).map(|rest| (*op, rest, true)))
        .map_or_else(
            || match (assumed, direction) {
                (Some(op), _) => Ok((op, cell, false)),
                (None, Direction::Higher) => Ok((Op::Ge, cell, false)),
                (None, Direction::Lower) => Ok((Op::Le, cell, false)),
                (None, Direction::None) => Err(
                    "no operator, and the indicator has no direction to infer one (set assumed_operator)"
                        .to_string(),
                ),
            },
            Ok,
        )?;
    let value: f64 = rest
        .trim()
        .parse()
        .map_err(|_| format!("'{cell}' is not an operator followed by a number"))?;
    Ok((op, value, printed))
}

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

    #[test]
    fn cells_with_and_without_operator() {
        assert_eq!(
            parse_cell("<= 6", Direction::Lower, None),
            Ok((Op::Le, 6.0, true))
        );
        assert_eq!(
            parse_cell("< 6", Direction::Lower, None),
            Ok((Op::Lt, 6.0, true))
        );
        assert_eq!(
            parse_cell(">= 97.5", Direction::Higher, None),
            Ok((Op::Ge, 97.5, true))
        );
        assert_eq!(
            parse_cell("92", Direction::Higher, None),
            Ok((Op::Ge, 92.0, false))
        );
        assert_eq!(
            parse_cell("2", Direction::Lower, None),
            Ok((Op::Le, 2.0, false))
        );
        assert!(parse_cell("10000", Direction::None, None).is_err());
        assert_eq!(
            parse_cell("10000", Direction::None, Some(Op::Ge)),
            Ok((Op::Ge, 10000.0, false))
        );
        assert!(parse_cell("<= six", Direction::Lower, None).is_err());
    }
}
