//! The indicator definitions of `pipelines/<table>.toml`, parsed strictly — an unknown key is
//! an error, so that a typo cannot silently disable a filter — and checked: each method has the
//! fields it needs and no other, every column a definition names belongs to its table.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::contract;
use crate::error::CatalogueError;
use crate::model::{BENCH, Catalogue, Grain, Indicator, Method, Unit, YearRollup};

/// One `pipelines/<table>.toml` file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PipelineFile {
    table: String,
    /// Statistical confidentiality: values on fewer records are not published (default 11;
    /// 0 for tables of organisation-level figures, one row per caisse and year).
    suppression_threshold: Option<i64>,
    #[serde(default)]
    indicator: Vec<Indicator>,
}

/// Builds a catalogue from (file name, TOML text) pairs; used by `load` and by tests.
pub fn from_sources(sources: &[(PathBuf, String)]) -> Result<Catalogue, CatalogueError> {
    let mut indicators = Vec::new();
    let mut thresholds: BTreeMap<String, (i64, PathBuf)> = BTreeMap::new();
    let mut seen: BTreeMap<(String, String), PathBuf> = BTreeMap::new();
    for (file, text) in sources {
        let parsed: PipelineFile = toml::from_str(text).map_err(|e| CatalogueError::Parse {
            file: file.clone(),
            message: e.to_string(),
        })?;
        let Some(spec) = contract::table(&parsed.table) else {
            return Err(CatalogueError::Invalid {
                file: file.clone(),
                indicator: String::new(),
                message: format!(
                    "unknown table '{}' (the contract's tables: {})",
                    parsed.table,
                    contract::TABLES
                        .iter()
                        .map(|t| t.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        };
        if let Some(threshold) = parsed.suppression_threshold {
            if threshold < 0 {
                return Err(CatalogueError::Invalid {
                    file: file.clone(),
                    indicator: String::new(),
                    message: format!(
                        "suppression_threshold = {threshold}: a number of records, 0 or more"
                    ),
                });
            }
            if let Some((other, first)) =
                thresholds.insert(spec.name.to_string(), (threshold, file.clone()))
                && other != threshold
            {
                return Err(CatalogueError::Invalid {
                    file: file.clone(),
                    indicator: String::new(),
                    message: format!(
                        "suppression_threshold = {threshold} but {} sets {other} for table {}",
                        first.display(),
                        spec.name
                    ),
                });
            }
        }
        for mut ind in parsed.indicator {
            ind.table = spec.name.to_string();
            ind.file = file.clone();
            check(&ind).map_err(|message| CatalogueError::Invalid {
                file: file.clone(),
                indicator: ind.key(),
                message,
            })?;
            if let Some(dim) = &ind.dimension
                && spec.column(dim).is_none()
            {
                return Err(CatalogueError::Invalid {
                    file: file.clone(),
                    indicator: ind.key(),
                    message: format!("dimension '{dim}' is not a column of {}", spec.name),
                });
            }
            let k = (ind.id.clone(), ind.definition.clone());
            if let Some(first) = seen.insert(k, file.clone()) {
                return Err(CatalogueError::Invalid {
                    file: file.clone(),
                    indicator: ind.key(),
                    message: format!("defined twice (also in {})", first.display()),
                });
            }
            indicators.push(ind);
        }
    }
    Ok(Catalogue {
        indicators,
        suppression_thresholds: thresholds.into_iter().map(|(t, (n, _))| (t, n)).collect(),
        ..Default::default()
    })
}

fn check(ind: &Indicator) -> Result<(), String> {
    let need = |field: &Option<String>, name: &str| {
        if field.is_none() {
            Err(format!("method '{}' needs `{name}`", ind.method.as_str()))
        } else {
            Ok(())
        }
    };
    let forbid = |field: bool, name: &str| {
        if field {
            Err(format!(
                "method '{}' does not use `{name}`",
                ind.method.as_str()
            ))
        } else {
            Ok(())
        }
    };
    match ind.method {
        Method::Mean | Method::Sum | Method::P90 => {
            need(&ind.value, "value")?;
            forbid(ind.condition.is_some(), "condition")?;
            forbid(
                ind.numerator.is_some() || ind.denominator.is_some(),
                "numerator",
            )?;
        }
        Method::Share => {
            need(&ind.condition, "condition")?;
            forbid(ind.value.is_some(), "value")?;
        }
        Method::Ratio => {
            need(&ind.numerator, "numerator")?;
            need(&ind.denominator, "denominator")?;
            forbid(ind.value.is_some(), "value")?;
        }
    }
    if ind.denominator_population.is_some() && ind.method != Method::Mean {
        return Err("`denominator_population` is only for method 'mean'".into());
    }
    let cross = ind.denominator_period_date.is_some() || ind.denominator_filter.is_some();
    if cross && ind.denominator_table.is_none() {
        return Err(
            "`denominator_period_date` and `denominator_filter` need `denominator_table`".into(),
        );
    }
    if let Some(t) = &ind.denominator_table {
        if ind.method != Method::Ratio {
            return Err("`denominator_table` is only for method 'ratio'".into());
        }
        if contract::table(t).is_none() {
            return Err(format!("unknown denominator_table '{t}'"));
        }
        if ind.dimension.is_some() {
            return Err("a ratio across two tables cannot have a breakdown".into());
        }
    }
    if ind.deadline.is_some() && ind.method != Method::Share {
        return Err(
            "`deadline` is only for method 'share' (a condition met within a deadline)".into(),
        );
    }
    if ind.scale.is_some() && !matches!(ind.method, Method::Ratio | Method::Sum) {
        return Err("`scale` is only for methods 'ratio' and 'sum'".into());
    }
    if ind.method == Method::Share && ind.unit != Unit::Percent {
        return Err("a share is a percentage: unit must be '%'".into());
    }
    if ind.year_rollup != YearRollup::Pooled && ind.grain == Grain::Year {
        return Err("a yearly indicator has no months to roll up".into());
    }
    if ind.definition != BENCH
        && (ind.definition.is_empty()
            || !ind
                .definition
                .chars()
                .all(|c| c.is_ascii_uppercase() || c == '_'))
    {
        return Err(format!(
            "definition must be 'bench' or an organism code in capitals, found '{}'",
            ind.definition
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Catalogue, CatalogueError> {
        from_sources(&[(PathBuf::from("t.toml"), text.to_string())])
    }

    const ONE: &str = r#"
table = "claims"
[[indicator]]
id = "x_mean"
label_fr = "x"
label_en = "x"
unit = "days"
direction = "lower"
origin = "test"
method = "mean"
period_date = "paid_date"
value = "days(received_date, paid_date)"
"#;

    #[test]
    fn parses_and_defaults_to_bench() {
        let c = parse(ONE).unwrap();
        assert_eq!(c.indicators[0].definition, BENCH);
        assert_eq!(c.indicators[0].full_filter(), "TRUE");
        assert_eq!(c.tables().into_iter().collect::<Vec<_>>(), vec!["claims"]);
    }

    #[test]
    fn unknown_key_is_an_error() {
        let text = ONE.replace(
            "method = \"mean\"",
            "method = \"mean\"\nfilterr = \"kind = 'FSE'\"",
        );
        let err = parse(&text).unwrap_err().to_string();
        assert!(err.contains("filterr"), "{err}");
    }

    #[test]
    fn method_fields_are_checked() {
        let text = ONE.replace("method = \"mean\"", "method = \"share\"");
        let err = parse(&text).unwrap_err().to_string();
        assert!(err.contains("needs `condition`"), "{err}");
    }

    #[test]
    fn deadline_only_on_a_share() {
        let text = ONE.replace(
            "method = \"mean\"",
            "method = \"mean\"\ndeadline = \"paid_date\"",
        );
        let err = parse(&text).unwrap_err().to_string();
        assert!(
            err.contains("`deadline` is only for method 'share'"),
            "{err}"
        );
        let share = ONE
            .replace("method = \"mean\"", "method = \"share\"")
            .replace("unit = \"days\"", "unit = \"%\"")
            .replace(
                "value = \"days(received_date, paid_date)\"",
                "condition = \"paid_date <= received_date + 7\"\ndeadline = \"received_date + 7\"",
            );
        let c = parse(&share).unwrap();
        assert_eq!(
            c.indicators[0].deadline.as_deref(),
            Some("received_date + 7")
        );
    }

    #[test]
    fn duplicate_and_unknown_table() {
        let twice = format!("{ONE}\n{}", &ONE[ONE.find("[[indicator]]").unwrap()..]);
        assert!(
            parse(&twice)
                .unwrap_err()
                .to_string()
                .contains("defined twice")
        );
        let bad = ONE.replace("table = \"claims\"", "table = \"claimz\"");
        assert!(
            parse(&bad)
                .unwrap_err()
                .to_string()
                .contains("unknown table 'claimz'")
        );
    }

    #[test]
    fn variant_filter_scopes_the_organism() {
        let text = ONE.replace(
            "method = \"mean\"",
            "method = \"mean\"\ndefinition = \"CAVIMAC\"\nfilter = \"kind = 'IJ'\"",
        );
        let c = parse(&text).unwrap();
        assert_eq!(
            c.indicators[0].full_filter(),
            "organism = 'CAVIMAC' AND (kind = 'IJ')"
        );
        assert_eq!(c.indicators[0].key(), "x_mean[CAVIMAC]");
    }
}
