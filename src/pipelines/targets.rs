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
use crate::model::{
    BENCH, Change, Condition, Direction, Indicator, Objective, Op, Target, Theme, Threshold,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetFile {
    organism: String,
    /// Title of the document, e.g. "Cavimac COG 2023-2027".
    title: String,
    /// The document's file name, e.g. `000_87b1017b454bb887.txt`.
    document: String,
    /// The years of the convention (first, last); default: those of the file's targets.
    period: Option<[i32; 2]>,
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
    /// The document's words for the target: one text for every year, or one per year.
    text: Words,
    /// Year → a cell ("<= 6", "92", "> prev", ">= base(2008) + 0.25 pt", "text",
    /// "monitoring") or a list of conditions that must all hold.
    values: BTreeMap<String, Cells>,
    /// The operator to read where none is printed and the direction gives none (a volume).
    assumed_operator: Option<String>,
    note: Option<String>,
    /// The years of the convention this row belongs to, when not the file's (an annex row of
    /// an earlier convention).
    period: Option<[i32; 2]>,
    /// The annex section this row is printed in, when not the indicator's theme tag.
    theme: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Words {
    All(String),
    ByYear(BTreeMap<String, String>),
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Cells {
    One(String),
    All(Vec<String>),
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
        let first_of_file = targets.len();
        for entry in &parsed.target {
            entry_targets(file, &parsed, entry, indicators, &mut targets)?;
        }
        let own = &mut targets[first_of_file..];
        let period = match parsed.period {
            Some([a, b]) => (a, b),
            None => (
                own.iter().map(|t| t.year).min().unwrap_or(0),
                own.iter().map(|t| t.year).max().unwrap_or(0),
            ),
        };
        for t in own {
            if t.period.0 == i32::MIN {
                t.period = period;
            }
        }
    }
    Ok(targets)
}

/// Whether `ind` has breakdown values: its own breakdowns, or, for a derived indicator that
/// keeps its input's breakdowns (`complement`, `yoy`), those of the indicator it reads.
fn has_breakdown(ind: &Indicator, indicators: &[Indicator]) -> bool {
    if !ind.breakdowns().is_empty() {
        return true;
    }
    let Some(of) = ind.of.as_deref().filter(|_| ind.method.is_derived()) else {
        return false;
    };
    indicators
        .iter()
        .filter(|i| i.id == of && (i.definition == ind.definition || i.definition == BENCH))
        .any(|i| has_breakdown(i, indicators))
}

fn entry_targets(
    file: &std::path::Path,
    parsed: &TargetFile,
    entry: &TargetEntry,
    indicators: &[Indicator],
    targets: &mut Vec<Target>,
) -> Result<(), CatalogueError> {
    let invalid = |message: String| CatalogueError::Invalid {
        file: file.to_path_buf(),
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
    if !entry.dimension_values.is_empty() && !has_breakdown(ind, indicators) {
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
    let theme = match entry.theme.as_deref() {
        None => None,
        Some(tag) => {
            Some(Theme::parse(tag).ok_or_else(|| invalid(format!("unknown theme tag '{tag}'")))?)
        }
    };
    let dimensions: Vec<Option<String>> = if entry.dimension_values.is_empty() {
        vec![None]
    } else {
        entry.dimension_values.iter().cloned().map(Some).collect()
    };
    for (year_text, cells) in &entry.values {
        let year: i32 = year_text
            .parse()
            .map_err(|_| invalid(format!("'{year_text}' is not a year")))?;
        let cells: Vec<&str> = match cells {
            Cells::One(c) => vec![c.as_str()],
            Cells::All(list) => list.iter().map(String::as_str).collect(),
        };
        let objective = parse_objective(&cells, year, ind.direction, assumed)
            .map_err(|m| invalid(format!("{year}: {m}")))?;
        let words = match &entry.text {
            Words::All(t) => t.clone(),
            Words::ByYear(by_year) => by_year
                .get(year_text)
                .cloned()
                .ok_or_else(|| invalid(format!("{year}: no `text` for this year")))?,
        };
        let mut note = entry.note.clone();
        let inferred: Vec<String> = match &objective {
            Objective::Conditions(list) => list
                .iter()
                .filter(|c| !c.op_printed)
                .map(|c| {
                    let why = match assumed {
                        Some(_) => "assumed (see the note)".to_string(),
                        None => format!(
                            "from the indicator's direction ({})",
                            ind.direction.as_str()
                        ),
                    };
                    format!("No operator printed: '{}' {why}.", c.op)
                })
                .collect(),
            _ => Vec::new(),
        };
        if let Some(inferred) = inferred.first() {
            note = Some(match note {
                Some(n) => format!("{n} {inferred}"),
                None => inferred.clone(),
            });
        }
        for dimension_value in &dimensions {
            let duplicate = targets.iter().any(|t| {
                t.organism == parsed.organism
                    && t.indicator == entry.indicator
                    && t.definition == definition
                    && t.dimension_value == *dimension_value
                    && t.year == year
            });
            if duplicate {
                return Err(invalid(format!(
                    "{year}: a second target for the same definition, breakdown value and year"
                )));
            }
            targets.push(Target {
                organism: parsed.organism.clone(),
                indicator: entry.indicator.clone(),
                definition: definition.clone(),
                dimension_value: dimension_value.clone(),
                year,
                objective: objective.clone(),
                text: words.clone(),
                number: entry.number.clone(),
                source: format!("{} ({}) n°{}", parsed.title, parsed.document, entry.number),
                document: parsed.document.clone(),
                printed: entry.printed.clone(),
                note: note.clone(),
                // The file's period, unless the entry has its own (set below).
                period: entry.period.map_or((i32::MIN, i32::MIN), |[a, b]| (a, b)),
                theme,
            });
        }
    }
    Ok(())
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

/// The cells of one year: `text`, `monitoring`, or conditions of one direction.
fn parse_objective(
    cells: &[&str],
    year: i32,
    direction: Direction,
    assumed: Option<Op>,
) -> Result<Objective, String> {
    match cells {
        [] => return Err("an empty list of conditions".into()),
        [one] if one.trim() == "text" => return Ok(Objective::Text),
        [one] if one.trim() == "monitoring" => return Ok(Objective::Monitoring),
        _ => {}
    }
    let mut conditions = Vec::new();
    for cell in cells {
        if matches!(cell.trim(), "text" | "monitoring") {
            return Err(format!(
                "'{}' cannot be one of several conditions",
                cell.trim()
            ));
        }
        conditions.push(parse_cell(cell, direction, assumed)?);
    }
    if conditions.len() > 1 {
        let senses: Vec<i8> = conditions.iter().map(|c| c.op.sense()).collect();
        if senses.contains(&0) || senses.iter().any(|s| *s != senses[0]) {
            return Err(format!(
                "conditions of opposite directions (or '=' with others) in one target: {}",
                cells.join(", ")
            ));
        }
    }
    for c in &conditions {
        if let Threshold::BaseYear { year: base, .. } = c.threshold
            && base >= year
        {
            return Err(format!(
                "base({base}) is not before the target's year {year}"
            ));
        }
    }
    Ok(Objective::Conditions(conditions))
}

/// "<= 6" → (≤, 6, printed); "92" → (the assumed operator, or ≥ / ≤ by direction, 92, not
/// printed); "> prev", ">= prev + 1 pt", "<= prev - 2 %"; ">= base(2008) + 0.25 pt",
/// ">= base(2008) + 12.5 %", "<= base(2016) - 0.02 pt/yr".
fn parse_cell(cell: &str, direction: Direction, assumed: Option<Op>) -> Result<Condition, String> {
    let cell = cell.trim();
    let (op, rest, op_printed) = OPERATORS
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
    let rest = rest.trim();
    let threshold = if let Some(after) = rest.strip_prefix("prev") {
        let (change, per_year) = parse_change(after, cell)?;
        if per_year {
            return Err(format!(
                "'{cell}': '/yr' applies to a base year, not to prev"
            ));
        }
        Threshold::PreviousYear(change)
    } else if let Some(after) = rest.strip_prefix("base(") {
        let (year, after) = after
            .split_once(')')
            .ok_or_else(|| format!("'{cell}': base( without )"))?;
        let year: i32 = year
            .trim()
            .parse()
            .map_err(|_| format!("'{cell}': base({year}) is not a year"))?;
        let (change, per_year) = parse_change(after, cell)?;
        if per_year && change.is_none() {
            return Err(format!("'{cell}': '/yr' needs a change"));
        }
        Threshold::BaseYear {
            year,
            change,
            per_year,
        }
    } else {
        let value: f64 = rest.parse().map_err(|_| {
            format!("'{cell}' is not an operator followed by a number, prev or base(YEAR)")
        })?;
        Threshold::Absolute(value)
    };
    Ok(Condition {
        op,
        threshold,
        op_printed,
    })
}

/// "" → no change; " + 1 pt", " - 2 %", " - 0.02 pt/yr" → the signed change and whether it
/// applies each year.
fn parse_change(text: &str, cell: &str) -> Result<(Option<Change>, bool), String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok((None, false));
    }
    let bad = || format!("'{cell}': a change is written '+ 1 pt', '- 2 %' or '- 0.02 pt/yr'");
    let (sign, rest) = match text.as_bytes()[0] {
        b'+' => (1.0, &text[1..]),
        b'-' => (-1.0, &text[1..]),
        _ => return Err(bad()),
    };
    let rest = rest.trim();
    let (rest, per_year) = match rest.strip_suffix("/yr") {
        Some(r) => (r.trim_end(), true),
        None => (rest, false),
    };
    let (number, percent) = if let Some(n) = rest.strip_suffix("pt") {
        (n, false)
    } else if let Some(n) = rest.strip_suffix('%') {
        (n, true)
    } else {
        return Err(format!("'{cell}': say 'pt' (points) or '%' (relative)"));
    };
    let d: f64 = number.trim().parse().map_err(|_| bad())?;
    if d < 0.0 {
        return Err(bad());
    }
    let d = sign * d;
    Ok((
        Some(if percent {
            Change::Percent(d)
        } else {
            Change::Points(d)
        }),
        per_year,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(op: Op, threshold: Threshold, op_printed: bool) -> Condition {
        Condition {
            op,
            threshold,
            op_printed,
        }
    }

    #[test]
    fn cells_with_and_without_operator() {
        let abs = |op, v, printed| Ok(cond(op, Threshold::Absolute(v), printed));
        assert_eq!(
            parse_cell("<= 6", Direction::Lower, None),
            abs(Op::Le, 6.0, true)
        );
        assert_eq!(
            parse_cell("< 6", Direction::Lower, None),
            abs(Op::Lt, 6.0, true)
        );
        assert_eq!(
            parse_cell(">= 97.5", Direction::Higher, None),
            abs(Op::Ge, 97.5, true)
        );
        assert_eq!(
            parse_cell("92", Direction::Higher, None),
            abs(Op::Ge, 92.0, false)
        );
        assert_eq!(
            parse_cell("2", Direction::Lower, None),
            abs(Op::Le, 2.0, false)
        );
        assert!(parse_cell("10000", Direction::None, None).is_err());
        assert_eq!(
            parse_cell("10000", Direction::None, Some(Op::Ge)),
            abs(Op::Ge, 10000.0, false)
        );
        assert!(parse_cell("<= six", Direction::Lower, None).is_err());
    }

    #[test]
    fn previous_year_cells() {
        let prev = |op, change, printed| Ok(cond(op, Threshold::PreviousYear(change), printed));
        assert_eq!(
            parse_cell("> prev", Direction::Higher, None),
            prev(Op::Gt, None, true)
        );
        assert_eq!(
            parse_cell(">= prev + 1 pt", Direction::Higher, None),
            prev(Op::Ge, Some(Change::Points(1.0)), true)
        );
        assert_eq!(
            parse_cell("<= prev - 2 %", Direction::Lower, None),
            prev(Op::Le, Some(Change::Percent(-2.0)), true)
        );
        // No operator: the direction's.
        assert_eq!(
            parse_cell("prev - 2 %", Direction::Lower, None),
            prev(Op::Le, Some(Change::Percent(-2.0)), false)
        );
        // The change must say pt or %; prev takes no /yr; a sign is required.
        assert!(parse_cell(">= prev + 1", Direction::Higher, None).is_err());
        assert!(parse_cell(">= prev + 1 pt/yr", Direction::Higher, None).is_err());
        assert!(parse_cell(">= prev 1 pt", Direction::Higher, None).is_err());
    }

    #[test]
    fn base_year_cells() {
        let base = |op, year, change, per_year| {
            Ok(cond(
                op,
                Threshold::BaseYear {
                    year,
                    change,
                    per_year,
                },
                true,
            ))
        };
        assert_eq!(
            parse_cell(">= base(2008) + 0.25 pt", Direction::Higher, None),
            base(Op::Ge, 2008, Some(Change::Points(0.25)), false)
        );
        assert_eq!(
            parse_cell(">= base(2008) + 12.5 %", Direction::Higher, None),
            base(Op::Ge, 2008, Some(Change::Percent(12.5)), false)
        );
        assert_eq!(
            parse_cell("<= base(2016) - 0.02 pt/yr", Direction::Lower, None),
            base(Op::Le, 2016, Some(Change::Points(-0.02)), true)
        );
        assert_eq!(
            parse_cell(">= base(2016) + 5 %/yr", Direction::Higher, None),
            base(Op::Ge, 2016, Some(Change::Percent(5.0)), true)
        );
        assert!(parse_cell(">= base(20x8) + 1 pt", Direction::Higher, None).is_err());
        assert!(parse_cell(">= base(2008 + 1 pt", Direction::Higher, None).is_err());
        assert!(parse_cell(">= base(2008) pt/yr", Direction::Higher, None).is_err());
    }

    #[test]
    fn objectives_text_monitoring_and_lists() {
        let higher = Direction::Higher;
        assert_eq!(
            parse_objective(&["text"], 2020, higher, None),
            Ok(Objective::Text)
        );
        assert_eq!(
            parse_objective(&["monitoring"], 2020, higher, None),
            Ok(Objective::Monitoring)
        );
        let Ok(Objective::Conditions(list)) =
            parse_objective(&[">= 6", "> prev"], 2020, higher, None)
        else {
            panic!("two conditions")
        };
        assert_eq!(list.len(), 2);
        // Opposite directions, '=' with another, text among conditions: errors.
        let err = parse_objective(&[">= 6", "<= 9"], 2020, higher, None).unwrap_err();
        assert!(err.contains("opposite directions"), "{err}");
        assert!(parse_objective(&["= 6", ">= 5"], 2020, higher, None).is_err());
        assert!(parse_objective(&[">= 6", "text"], 2020, higher, None).is_err());
        assert!(parse_objective(&[], 2020, higher, None).is_err());
        // A base year must come before the target's year.
        assert!(parse_objective(&[">= base(2020) + 1 pt"], 2020, higher, None).is_err());
    }

    fn indicator() -> Indicator {
        toml::from_str::<Indicator>(
            r#"
id = "x"
label_fr = "x"
label_en = "x"
unit = "%"
direction = "higher"
origin = "o"
method = "share"
period_date = "d"
condition = "TRUE"
"#,
        )
        .unwrap()
    }

    #[test]
    fn a_file_with_every_form() {
        let text = r#"
organism = "CAMIEG"
title = "T"
document = "d.txt"
period = [2017, 2020]

[[target]]
indicator = "x"
number = "21"
printed = ["6 % - Chiffre en progression chaque année"]
text = "6 % - Chiffre en progression chaque année"
values = { 2017 = [">= 6", "> prev"], 2018 = "monitoring" }

[[target]]
indicator = "x"
number = "22"
printed = ["p"]
text = { 2019 = "À définir", 2020 = "Résultat 2016 + 1 point" }
values = { 2019 = "text", 2020 = "base(2016) + 1 pt" }
"#;
        let targets = from_sources(&[("t.toml".into(), text.to_string())], &[indicator()]).unwrap();
        assert_eq!(targets.len(), 4);
        assert!(targets.iter().all(|t| t.period == (2017, 2020)));
        assert_eq!(targets[0].conditions().len(), 2);
        assert_eq!(targets[1].objective, Objective::Monitoring);
        assert_eq!(targets[2].text, "À définir");
        assert_eq!(targets[3].text, "Résultat 2016 + 1 point");
        assert!(
            targets[3]
                .note
                .as_deref()
                .unwrap()
                .contains("No operator printed: '>='")
        );
        // Opposite directions are an error of the file, naming it and the indicator.
        let bad = text.replace(r#"[">= 6", "> prev"]"#, r#"[">= 6", "< prev"]"#);
        let err = from_sources(&[("t.toml".into(), bad)], &[indicator()]).unwrap_err();
        assert!(
            err.to_string()
                .contains("t.toml: indicator x: 2017: conditions of opposite"),
            "{err}"
        );
        // A year without its words.
        let bad = text.replace(r#"2019 = "À définir", "#, "");
        assert!(from_sources(&[("t.toml".into(), bad)], &[indicator()]).is_err());
    }
}
