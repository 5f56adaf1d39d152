//! The COG targets of `pipelines/targets/<organism>.toml`, transcribed from the four COG
//! documents: the organism, the indicator and its definition (the organism's variant when it has
//! one, else bench), the year, the comparison as printed (≤ and < differ: Cavimac n°6 and n°7
//! change from ≤ to < in 2027), the value, the document and the indicator number, and the
//! printed cells verbatim (a test finds them in the document). Where the document prints no
//! operator, the indicator's direction gives it and the target says so.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::error::CatalogueError;
use crate::model::{BENCH, Direction, Indicator, Op, Target};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetFile {
    organism: String,
    /// Title of the document, e.g. "Cavimac COG 2023-2027".
    title: String,
    /// The document's file name, e.g. `000_87b1017b454bb887.txt`.
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
            if !entry.dimension_values.is_empty() && ind.breakdowns().is_empty() {
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

#[cfg(test)]
mod tests {
    use super::*;

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
