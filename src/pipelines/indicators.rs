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
            for dim in ind.breakdowns() {
                if spec.column(dim).is_none() {
                    return Err(CatalogueError::Invalid {
                        file: file.clone(),
                        indicator: ind.key(),
                        message: format!("dimension '{dim}' is not a column of {}", spec.name),
                    });
                }
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
    check_derived_inputs(&indicators)?;
    Ok(Catalogue {
        indicators,
        suppression_thresholds: thresholds.into_iter().map(|(t, (n, _))| (t, n)).collect(),
        ..Default::default()
    })
}

/// The keys of quantiles, counts of units and breakdowns (indicators-v2 §1.3–§1.5).
fn check_language(ind: &Indicator) -> Result<(), String> {
    match (ind.method, ind.q) {
        (Method::Quantile, None) => return Err("method 'quantile' needs `q`".into()),
        (Method::Quantile, Some(q)) => {
            let basis = q * 10_000.0;
            if !(q > 0.0 && q <= 1.0) || (basis - basis.round()).abs() > 1e-6 {
                return Err(format!(
                    "q = {q}: a fraction 0 < q ≤ 1 with at most 4 decimals (0.9, 0.25, 0.1234)"
                ));
            }
        }
        (_, Some(_)) => return Err("`q` is only for method 'quantile'".into()),
        (_, None) => {}
    }
    if ind.distinct.is_some() && !matches!(ind.method, Method::CountDistinct | Method::Share) {
        return Err("`distinct` is only for methods 'count_distinct' and 'share'".into());
    }
    if matches!(ind.method, Method::Count | Method::CountDistinct) && ind.unit != Unit::Count {
        return Err(format!(
            "method '{}' gives a number of things: unit must be 'count'",
            ind.method.as_str()
        ));
    }
    if let Some(list) = &ind.dimensions {
        if ind.dimension.is_some() {
            return Err(
                "`dimension` and `dimensions` both given: write `dimensions = [...]` alone".into(),
            );
        }
        if list.is_empty() {
            return Err("`dimensions` is empty: name at least one column, or leave it out".into());
        }
        let mut seen = std::collections::BTreeSet::new();
        if let Some(twice) = list.iter().find(|d| !seen.insert(d.as_str())) {
            return Err(format!(
                "dimension '{twice}' is listed twice in `dimensions`"
            ));
        }
    }
    if ind.whole == Some(false) && ind.breakdowns().is_empty() {
        return Err(
            "`whole = false` needs a breakdown (`dimensions`): nothing would be produced".into(),
        );
    }
    Ok(())
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
    if !ind.method.is_derived() {
        forbid_derived_keys(ind)?;
    }
    match ind.method {
        Method::Complement | Method::Yoy | Method::Dispersion | Method::CaissesMeeting => {
            return check_derived(ind);
        }
        Method::Mean | Method::Sum | Method::P90 | Method::Quantile => {
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
        Method::Count | Method::CountDistinct => {
            if ind.method == Method::CountDistinct {
                need(&ind.distinct, "distinct")?;
            }
            forbid(ind.value.is_some(), "value")?;
            forbid(ind.condition.is_some(), "condition")?;
            forbid(
                ind.numerator.is_some() || ind.denominator.is_some(),
                "numerator",
            )?;
        }
    }
    check_language(ind)?;
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
        if !ind.breakdowns().is_empty() {
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
    check_definition_name(ind)
}

fn check_definition_name(ind: &Indicator) -> Result<(), String> {
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

// ---- derived indicators (indicators-v2 §1.6) ----

/// A method that reads records has a period date and none of the derived keys.
fn forbid_derived_keys(ind: &Indicator) -> Result<(), String> {
    if ind.period_date.trim().is_empty() {
        return Err(format!(
            "method '{}' needs `period_date`",
            ind.method.as_str()
        ));
    }
    for (set, key) in [
        (ind.of.is_some(), "of"),
        (ind.of_dimension.is_some(), "of_dimension"),
        (ind.of_dimension_value.is_some(), "of_dimension_value"),
        (ind.meeting.is_some(), "meeting"),
    ] {
        if set {
            return Err(format!(
                "method '{}' does not use `{key}` (a key of the derived methods)",
                ind.method.as_str()
            ));
        }
    }
    Ok(())
}

/// A derived definition: `of`, the keys of its method, none of the keys that read records,
/// and the unit its method gives.
fn check_derived(ind: &Indicator) -> Result<(), String> {
    let method = ind.method.as_str();
    if ind.of.as_deref().is_none_or(|of| of.trim().is_empty()) {
        return Err(format!(
            "method '{method}' needs `of`, the id of the indicator it reads"
        ));
    }
    let record_keys = [
        (!ind.period_date.is_empty(), "period_date"),
        (ind.filter.is_some(), "filter"),
        (ind.value.is_some(), "value"),
        (ind.condition.is_some(), "condition"),
        (ind.numerator.is_some(), "numerator"),
        (ind.denominator.is_some(), "denominator"),
        (ind.scale.is_some(), "scale"),
        (ind.dimension.is_some(), "dimension"),
        (ind.year_rollup != YearRollup::Pooled, "year_rollup"),
        (ind.grain != Grain::Month, "grain"),
        (
            ind.denominator_population.is_some(),
            "denominator_population",
        ),
        (ind.denominator_table.is_some(), "denominator_table"),
        (
            ind.denominator_period_date.is_some(),
            "denominator_period_date",
        ),
        (ind.denominator_filter.is_some(), "denominator_filter"),
    ];
    if let Some((_, key)) = record_keys.iter().find(|(set, _)| *set) {
        return Err(format!(
            "method '{method}' reads the values of `of`, not records: it does not use `{key}` \
             (periods, levels and breakdowns come from `of`)"
        ));
    }
    let meeting = ind.method == Method::CaissesMeeting;
    if meeting {
        if ind.meeting.is_none() {
            return Err(
                "method 'caisses_meeting' needs `meeting`, e.g. `meeting = \">= 90\"`".into(),
            );
        }
        if ind.meeting().is_none() {
            return Err(format!(
                "`meeting = \"{}\"`: an operator (>=, <=, >, <, =) and a number, e.g. \">= 90\"",
                ind.meeting.as_deref().unwrap_or_default()
            ));
        }
        if ind.of_dimension.is_some() != ind.of_dimension_value.is_some() {
            return Err("`of_dimension` and `of_dimension_value` go together".into());
        }
    } else {
        for (set, key) in [
            (ind.meeting.is_some(), "meeting"),
            (ind.of_dimension.is_some(), "of_dimension"),
            (ind.of_dimension_value.is_some(), "of_dimension_value"),
        ] {
            if set {
                return Err(format!(
                    "method '{method}' does not use `{key}` (only 'caisses_meeting' does)"
                ));
            }
        }
    }
    let unit = match ind.method {
        Method::Complement | Method::Dispersion => Some(Unit::Percent),
        Method::CaissesMeeting => Some(Unit::Count),
        _ => None, // yoy: '%' or 'pt' by its input's unit, checked with the catalogue
    };
    if let Some(unit) = unit
        && ind.unit != unit
    {
        return Err(format!(
            "method '{method}' gives a value in '{}': unit must be '{}'",
            unit.as_str(),
            unit.as_str()
        ));
    }
    check_definition_name(ind)
}

/// What a derived definition reads, across files: its input exists (the same variant, or the
/// bench), its id starts with the input's id (a complement's may start with the input's table
/// instead), the units fit the method, a named breakdown is one of the input's, and no chain
/// of derived definitions comes back to itself.
fn check_derived_inputs(indicators: &[Indicator]) -> Result<(), CatalogueError> {
    let lookup = Catalogue {
        indicators: indicators.to_vec(),
        ..Default::default()
    };
    for ind in indicators.iter().filter(|i| i.method.is_derived()) {
        let fail = |message: String| CatalogueError::Invalid {
            file: ind.file.clone(),
            indicator: ind.key(),
            message,
        };
        let of = ind.of.as_deref().unwrap_or_default();
        let Some(input) = lookup.input_of(ind) else {
            let definitions = if ind.definition == BENCH {
                "bench".to_string()
            } else {
                format!("{} or bench", ind.definition)
            };
            return Err(fail(format!(
                "of = \"{of}\": no definition ({definitions}) of that id in pipelines/"
            )));
        };
        let named = ind.id.starts_with(&input.id)
            || (ind.method == Method::Complement && ind.id.starts_with(&input.table));
        if !named {
            return Err(fail(format!(
                "a derived id starts with its input's id ('{of}'){}",
                if ind.method == Method::Complement {
                    format!(" or, for a complement, its table ('{}')", input.table)
                } else {
                    String::new()
                }
            )));
        }
        match ind.method {
            Method::Complement if input.unit != Unit::Percent => {
                return Err(fail(format!(
                    "the complement 100 − x needs a '%' value; {} is in '{}'",
                    input.key(),
                    input.unit.as_str()
                )));
            }
            Method::Yoy => {
                let unit = if input.unit == Unit::Percent {
                    Unit::Pt
                } else {
                    Unit::Percent
                };
                if ind.unit != unit {
                    return Err(fail(format!(
                        "the yoy of {} (in '{}') is in '{}': unit must be '{}'",
                        input.key(),
                        input.unit.as_str(),
                        unit.as_str(),
                        unit.as_str()
                    )));
                }
            }
            Method::CaissesMeeting => {
                if let Some(dimension) = &ind.of_dimension
                    && input.dimension.as_deref() != Some(dimension.as_str())
                {
                    return Err(fail(format!(
                        "of_dimension = \"{dimension}\": {} has no such breakdown",
                        input.key()
                    )));
                }
            }
            _ => {}
        }
        // A chain of derived inputs ends at a definition that reads records.
        let mut chain = vec![ind.key()];
        let mut current = input;
        while current.method.is_derived() {
            let seen = chain.contains(&current.key());
            chain.push(current.key());
            if seen {
                return Err(fail(format!(
                    "derived indicators read each other in a cycle: {}",
                    chain.join(" → ")
                )));
            }
            match lookup.input_of(current) {
                Some(next) => current = next,
                None => break, // reported for that definition
            }
        }
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

    /// `ONE` with its method lines replaced by `method_lines`.
    fn with(method_lines: &str) -> String {
        ONE.replace(
            "method = \"mean\"\nperiod_date = \"paid_date\"\nvalue = \"days(received_date, paid_date)\"\n",
            &format!("period_date = \"paid_date\"\n{method_lines}\n"),
        )
    }

    fn error(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn quantile_needs_q_with_four_decimals_at_most() {
        let quantile = |q: &str| {
            with(&format!(
                "method = \"quantile\"\nvalue = \"days(received_date, paid_date)\"\n{q}"
            ))
        };
        for ok in ["q = 0.9", "q = 1", "q = 0.1234", "q = 0.0001", "q = 0.25"] {
            parse(&quantile(ok)).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        assert!(error(&quantile("")).contains("needs `q`"));
        for bad in ["q = 0", "q = 1.5", "q = -0.5", "q = 0.12345"] {
            let e = error(&quantile(bad));
            assert!(e.contains("at most 4 decimals"), "{bad}: {e}");
        }
        let mean_with_q = ONE.replace("method = \"mean\"", "method = \"mean\"\nq = 0.5");
        assert!(error(&mean_with_q).contains("only for method 'quantile'"));
        let c = parse(&quantile("q = 0.25")).unwrap();
        assert_eq!(c.indicators[0].quantile_basis(), Some(2500));
    }

    #[test]
    fn counts_and_units() {
        let count = with("method = \"count\"").replace("unit = \"days\"", "unit = \"count\"");
        parse(&count).unwrap();
        // A count is a number of things.
        assert!(error(&with("method = \"count\"")).contains("unit must be 'count'"));
        assert!(
            error(&count.replace("method = \"count\"", "method = \"count\"\nvalue = \"1\""))
                .contains("does not use `value`")
        );
        let distinct = with("method = \"count_distinct\"\ndistinct = \"claim_id\"")
            .replace("unit = \"days\"", "unit = \"count\"");
        assert_eq!(
            parse(&distinct).unwrap().indicators[0].method,
            Method::CountDistinct
        );
        assert!(
            error(&distinct.replace("distinct = \"claim_id\"", "")).contains("needs `distinct`")
        );
        // A share over units is still a percentage; `distinct` has no meaning for a mean.
        let share = with("method = \"share\"\ncondition = \"TRUE\"\ndistinct = \"claim_id\"")
            .replace("unit = \"days\"", "unit = \"%\"");
        parse(&share).unwrap();
        let mean = ONE.replace(
            "method = \"mean\"",
            "method = \"mean\"\ndistinct = \"claim_id\"",
        );
        assert!(error(&mean).contains("only for methods 'count_distinct' and 'share'"));
        // The new units parse.
        for unit in ["pt", "m2", "kwh", "kwh_m2"] {
            parse(&ONE.replace("unit = \"days\"", &format!("unit = \"{unit}\""))).unwrap();
        }
    }

    #[test]
    fn breakdowns_are_checked() {
        let two = ONE.replace(
            "method = \"mean\"",
            "method = \"mean\"\ndimensions = [\"kind\", \"tiers_payant\"]",
        );
        let c = parse(&two).unwrap();
        assert_eq!(c.indicators[0].breakdowns(), vec!["kind", "tiers_payant"]);
        assert!(c.indicators[0].produces_whole());
        let one = ONE.replace(
            "method = \"mean\"",
            "method = \"mean\"\ndimension = \"kind\"",
        );
        assert_eq!(
            parse(&one).unwrap().indicators[0].breakdowns(),
            vec!["kind"]
        );
        let no_whole = two.replace("dimensions =", "whole = false\ndimensions =");
        assert!(!parse(&no_whole).unwrap().indicators[0].produces_whole());
        let cases = [
            (
                "dimensions = [\"kind\"]\ndimension = \"kind\"",
                "both given",
            ),
            ("dimensions = []", "is empty"),
            ("dimensions = [\"kind\", \"kind\"]", "listed twice"),
            (
                "dimensions = [\"kind\", \"colour\"]",
                "'colour' is not a column of claims",
            ),
            ("whole = false", "needs a breakdown"),
        ];
        for (lines, message) in cases {
            let text = ONE.replace("method = \"mean\"", &format!("method = \"mean\"\n{lines}"));
            let e = error(&text);
            assert!(e.contains(message), "{lines}: {e}");
        }
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

    const DERIVED: &str = r#"
table = "controls"
[[indicator]]
id = "controls_iql"
label_fr = "x"
label_en = "x"
unit = "%"
direction = "lower"
origin = "test"
method = "share"
period_date = "control_date"
dimension = "branch"
condition = "has_financial_anomaly"

[[indicator]]
id = "controls_ok"
label_fr = "x"
label_en = "x"
unit = "%"
direction = "higher"
origin = "test"
method = "complement"
of = "controls_iql"

[[indicator]]
id = "controls_ok_yoy"
definition = "CNAV"
label_fr = "x"
label_en = "x"
unit = "pt"
direction = "higher"
origin = "test"
method = "yoy"
of = "controls_ok"

[[indicator]]
id = "controls_iql_caisses_5"
label_fr = "x"
label_en = "x"
unit = "count"
direction = "higher"
origin = "test"
method = "caisses_meeting"
of = "controls_iql"
of_dimension = "branch"
of_dimension_value = "retraite"
meeting = "<= 5"
"#;

    fn derived_error(from: &str, to: &str) -> String {
        assert!(DERIVED.contains(from), "{from}");
        parse(&DERIVED.replacen(from, to, 1))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn derived_definitions_load() {
        let c = parse(DERIVED).unwrap();
        let yoy = &c.indicators[2];
        assert_eq!(yoy.method, Method::Yoy);
        // A variant reads the bench when its input has no variant of its organism.
        assert_eq!(c.input_of(yoy).unwrap().key(), "controls_ok");
        assert_eq!(c.indicators[3].meeting(), Some((crate::model::Op::Le, 5.0)));
        // A derived definition reads no table.
        assert!(c.indicators[1].source_tables().is_empty());
        assert_eq!(c.tables().into_iter().collect::<Vec<_>>(), vec!["controls"]);
    }

    #[test]
    fn derived_keys_are_checked() {
        for (from, to, message) in [
            ("of = \"controls_iql\"\n\n", "\n", "needs `of`"),
            (
                "of = \"controls_iql\"\n\n",
                "of = \"controls_iqm\"\n\n",
                "no definition (bench)",
            ),
            (
                "method = \"complement\"",
                "method = \"complement\"\nperiod_date = \"year\"",
                "does not use `period_date`",
            ),
            (
                "method = \"complement\"",
                "method = \"complement\"\nfilter = \"TRUE\"",
                "does not use `filter`",
            ),
            (
                "method = \"complement\"",
                "method = \"complement\"\nmeeting = \">= 1\"",
                "only 'caisses_meeting'",
            ),
            ("meeting = \"<= 5\"", "", "needs `meeting`"),
            ("meeting = \"<= 5\"", "meeting = \"=< 5\"", "an operator"),
            ("meeting = \"<= 5\"", "meeting = \">= five\"", "an operator"),
            ("of_dimension = \"branch\"\n", "", "go together"),
            (
                "of_dimension = \"branch\"",
                "of_dimension = \"file_type\"",
                "has no such breakdown",
            ),
            ("unit = \"pt\"", "unit = \"%\"", "unit must be 'pt'"),
            ("unit = \"count\"", "unit = \"%\"", "unit must be 'count'"),
            (
                "id = \"controls_ok\"\n",
                "id = \"ok_controls\"\n",
                "starts with its input's id",
            ),
            (
                "condition = \"has_financial_anomaly\"",
                "condition = \"x\"\nof = \"y\"",
                "does not use `of`",
            ),
        ] {
            let err = derived_error(from, to);
            assert!(err.contains(message), "{from} → {to}: {err}");
        }
        // The complement of a value that is not a percentage.
        let days = DERIVED
            .replacen("unit = \"%\"", "unit = \"days\"", 1)
            .replacen("method = \"share\"", "method = \"mean\"", 1)
            .replacen("condition = \"has_financial_anomaly\"", "value = \"1\"", 1);
        let err = parse(&days).unwrap_err().to_string();
        assert!(err.contains("needs a '%' value"), "{err}");
    }

    #[test]
    fn a_cycle_of_derived_definitions_is_an_error() {
        // controls_ok reads controls_ok_yoy (bench), which reads controls_ok.
        let cycle = DERIVED
            .replacen("of = \"controls_iql\"", "of = \"controls_ok_yoy\"", 1)
            .replace("definition = \"CNAV\"\n", "")
            .replace("unit = \"pt\"", "unit = \"%\"");
        let err = parse(&cycle).unwrap_err().to_string();
        assert!(
            err.contains("cycle: controls_ok → controls_ok_yoy → controls_ok"),
            "{err}"
        );
    }
}
