//! The indicator catalogue: the definitions under `pipelines/`, one TOML file per source table.
//!
//! An indicator is data, not code: SQL expressions over the contract's columns (see
//! `docs/indicators.md` for the format) plus metadata. Adding one to a covered table needs no
//! recompilation. Parsing is strict — an unknown key is an error, so that a typo cannot silently
//! disable a filter.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::contract;
use crate::error::CatalogueError;

/// `bench`: the harmonised definition computed for every caisse (indicators.md).
pub const BENCH: &str = "bench";

/// Unit of an indicator's value (outputs.md `unit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Unit {
    #[serde(rename = "%")]
    Percent,
    #[serde(rename = "days")]
    Days,
    #[serde(rename = "eur")]
    Eur,
    #[serde(rename = "etp")]
    Etp,
    #[serde(rename = "ratio")]
    Ratio,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Percent => "%",
            Unit::Days => "days",
            Unit::Eur => "eur",
            Unit::Etp => "etp",
            Unit::Ratio => "ratio",
        }
    }
}

/// Whether a higher or a lower value is better; `none` for volumes (ETP, fraud amounts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Higher,
    Lower,
    None,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Higher => "higher",
            Direction::Lower => "lower",
            Direction::None => "none",
        }
    }
}

/// How records become a value (each is pooled the same way at every level).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Mean of `value` over the records of the filter (records with a null value are left out).
    Mean,
    /// 100 × records meeting `condition` / records of the filter.
    Share,
    /// `scale` × sum(`numerator`) / sum(`denominator`) over rows where both are known.
    Ratio,
    /// `scale` × sum(`value`).
    Sum,
    /// 9th decile by nearest rank of an integer `value` (delays in days).
    P90,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Mean => "mean",
            Method::Share => "share",
            Method::Ratio => "ratio",
            Method::Sum => "sum",
            Method::P90 => "p90",
        }
    }
}

/// How a yearly value is made from the records or months of the year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum YearRollup {
    /// All records of the year pooled (the bench convention).
    #[default]
    Pooled,
    /// Unweighted mean of the monthly values (CRPCEN's IJ delay).
    MeanOfMonths,
    /// Mean of the monthly values weighted by their record counts (Camieg's P90s).
    WeightedMeanOfMonths,
}

/// Whether the period date is a calendar date (monthly and yearly values) or a year number
/// (yearly tables: staff, costs, contributions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Grain {
    #[default]
    Month,
    Year,
}

/// A second population for the denominator of a mean (Cavimac n°8: delays of the IJ paid in
/// the period divided by the number of IJ *received* in the period).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Population {
    pub period_date: String,
    pub filter: Option<String>,
}

/// One indicator definition as written in `pipelines/*.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub id: String,
    #[serde(default = "bench")]
    pub definition: String,
    pub label_fr: String,
    pub label_en: String,
    pub unit: Unit,
    pub direction: Direction,
    /// Where the rule comes from: document file and indicator number.
    pub origin: String,
    pub method: Method,
    /// Column or SQL expression placing a record in a period.
    pub period_date: String,
    #[serde(default)]
    pub grain: Grain,
    /// SQL predicate selecting the records of the indicator.
    pub filter: Option<String>,
    pub value: Option<String>,
    pub condition: Option<String>,
    pub numerator: Option<String>,
    pub denominator: Option<String>,
    pub scale: Option<f64>,
    /// Column of a breakdown (`branch`, `channel`): values by dimension value and for all.
    pub dimension: Option<String>,
    #[serde(default)]
    pub year_rollup: YearRollup,
    pub denominator_population: Option<Population>,
    /// A ratio whose denominator is summed from another table, joined on caisse and period
    /// (productivity: activity units of `costs` over ETP of `staff`).
    pub denominator_table: Option<String>,
    /// Period date of the denominator table (default: `period_date`).
    pub denominator_period_date: Option<String>,
    /// Filter of the denominator table's rows.
    pub denominator_filter: Option<String>,
    /// Free text: decisions where the documents are silent.
    pub note: Option<String>,
    /// Filled by the loader: the source table (the file's `table`).
    #[serde(skip)]
    pub table: String,
    /// Filled by the loader: the file the definition comes from.
    #[serde(skip)]
    pub file: PathBuf,
}

fn bench() -> String {
    BENCH.to_string()
}

impl Indicator {
    /// `None` for bench; the organism code for a COG variant.
    pub fn organism_scope(&self) -> Option<&str> {
        (self.definition != BENCH).then_some(self.definition.as_str())
    }

    /// The SQL predicate of the indicator's records, including the organism scope of a variant.
    pub fn full_filter(&self) -> String {
        self.full_filter_with(self.filter.as_deref())
    }

    /// The organism scope of a variant combined with `predicate` (`TRUE` when both are absent).
    pub fn full_filter_with(&self, predicate: Option<&str>) -> String {
        let mut parts = Vec::new();
        if let Some(org) = self.organism_scope() {
            parts.push(format!("organism = '{}'", org.replace('\'', "''")));
        }
        if let Some(f) = predicate {
            parts.push(format!("({f})"));
        }
        if parts.is_empty() {
            "TRUE".to_string()
        } else {
            parts.join(" AND ")
        }
    }

    /// The source tables: its own, and the denominator's for a ratio across tables.
    pub fn source_tables(&self) -> Vec<&str> {
        let mut v = vec![self.table.as_str()];
        if let Some(t) = &self.denominator_table {
            v.push(t.as_str());
        }
        v
    }

    /// `id` for bench, `id[ORG]` for a variant: the name used in messages.
    pub fn key(&self) -> String {
        match self.organism_scope() {
            None => self.id.clone(),
            Some(org) => format!("{}[{org}]", self.id),
        }
    }

    fn check(&self) -> Result<(), String> {
        let need = |field: &Option<String>, name: &str| {
            if field.is_none() {
                Err(format!("method '{}' needs `{name}`", self.method.as_str()))
            } else {
                Ok(())
            }
        };
        let forbid = |field: bool, name: &str| {
            if field {
                Err(format!(
                    "method '{}' does not use `{name}`",
                    self.method.as_str()
                ))
            } else {
                Ok(())
            }
        };
        match self.method {
            Method::Mean | Method::Sum | Method::P90 => {
                need(&self.value, "value")?;
                forbid(self.condition.is_some(), "condition")?;
                forbid(
                    self.numerator.is_some() || self.denominator.is_some(),
                    "numerator",
                )?;
            }
            Method::Share => {
                need(&self.condition, "condition")?;
                forbid(self.value.is_some(), "value")?;
            }
            Method::Ratio => {
                need(&self.numerator, "numerator")?;
                need(&self.denominator, "denominator")?;
                forbid(self.value.is_some(), "value")?;
            }
        }
        if self.denominator_population.is_some() && self.method != Method::Mean {
            return Err("`denominator_population` is only for method 'mean'".into());
        }
        let cross = self.denominator_period_date.is_some() || self.denominator_filter.is_some();
        if cross && self.denominator_table.is_none() {
            return Err(
                "`denominator_period_date` and `denominator_filter` need `denominator_table`"
                    .into(),
            );
        }
        if let Some(t) = &self.denominator_table {
            if self.method != Method::Ratio {
                return Err("`denominator_table` is only for method 'ratio'".into());
            }
            if contract::table(t).is_none() {
                return Err(format!("unknown denominator_table '{t}'"));
            }
            if self.dimension.is_some() {
                return Err("a ratio across two tables cannot have a breakdown".into());
            }
        }
        if self.scale.is_some() && !matches!(self.method, Method::Ratio | Method::Sum) {
            return Err("`scale` is only for methods 'ratio' and 'sum'".into());
        }
        if self.method == Method::Share && self.unit != Unit::Percent {
            return Err("a share is a percentage: unit must be '%'".into());
        }
        if self.year_rollup != YearRollup::Pooled && self.grain == Grain::Year {
            return Err("a yearly indicator has no months to roll up".into());
        }
        if self.definition != BENCH
            && (self.definition.is_empty()
                || !self
                    .definition
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c == '_'))
        {
            return Err(format!(
                "definition must be 'bench' or an organism code in capitals, found '{}'",
                self.definition
            ));
        }
        Ok(())
    }
}

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

/// The loaded catalogue: every indicator, in file then definition order, and the COG targets.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    pub indicators: Vec<Indicator>,
    /// From `pipelines/targets/*.toml`.
    pub targets: Vec<crate::targets::Target>,
    /// `suppression_threshold` of the pipeline files that set one, by table.
    pub suppression_thresholds: BTreeMap<String, i64>,
    /// SHA-256 over the sorted file names and contents: the catalogue version in the manifest.
    pub version: String,
    pub dir: PathBuf,
}

impl Catalogue {
    /// Loads every `*.toml` of `dir` (not recursive), sorted by name, and the targets of
    /// `dir/targets/`.
    pub fn load(dir: &Path) -> Result<Self, CatalogueError> {
        let sources = read_toml_dir(dir)?;
        let mut hasher = Sha256::new();
        for (file, text) in &sources {
            hasher.update(file.file_name().unwrap_or_default().as_encoded_bytes());
            hasher.update([0]);
            hasher.update(text.as_bytes());
        }
        let mut catalogue = Self::from_sources(&sources)?;
        let (targets, target_sources) =
            crate::targets::load(&dir.join("targets"), &catalogue.indicators)?;
        for (file, text) in &target_sources {
            hasher.update(b"targets/");
            hasher.update(file.file_name().unwrap_or_default().as_encoded_bytes());
            hasher.update([0]);
            hasher.update(text.as_bytes());
        }
        catalogue.targets = targets;
        catalogue.version = format!("sha256:{:x}", hasher.finalize());
        catalogue.dir = dir.to_path_buf();
        Ok(catalogue)
    }

    /// Builds a catalogue from (file name, TOML text) pairs; used by `load` and by tests.
    pub fn from_sources(sources: &[(PathBuf, String)]) -> Result<Self, CatalogueError> {
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
                ind.check().map_err(|message| CatalogueError::Invalid {
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
        Ok(Self {
            indicators,
            suppression_thresholds: thresholds.into_iter().map(|(t, (n, _))| (t, n)).collect(),
            ..Default::default()
        })
    }

    /// Keeps the indicators whose id is in `ids` (all their definitions); errors on an unknown id.
    pub fn select(&mut self, ids: &[String]) -> Result<(), CatalogueError> {
        if ids.is_empty() {
            return Ok(());
        }
        for id in ids {
            if !self.indicators.iter().any(|i| &i.id == id) {
                return Err(CatalogueError::UnknownIndicator {
                    id: id.clone(),
                    suggestion: self.closest_id(id),
                });
            }
        }
        self.indicators.retain(|i| ids.contains(&i.id));
        Ok(())
    }

    /// The definitions of one indicator id (bench first, then variants).
    pub fn definitions_of(&self, id: &str) -> Vec<&Indicator> {
        self.indicators.iter().filter(|i| i.id == id).collect()
    }

    /// A "did you mean" for an unknown id: the known id sharing the longest prefix.
    pub fn closest_id(&self, id: &str) -> Option<String> {
        self.indicators
            .iter()
            .map(|i| {
                let common =
                    i.id.chars()
                        .zip(id.chars())
                        .take_while(|(a, b)| a == b)
                        .count();
                (common, i.id.clone())
            })
            .filter(|(common, _)| *common >= 3)
            .max_by_key(|(common, _)| *common)
            .map(|(_, id)| id)
    }

    /// Source tables used by the catalogue, in contract order.
    pub fn tables(&self) -> Vec<&'static str> {
        contract::TABLES
            .iter()
            .map(|t| t.name)
            .filter(|t| {
                self.indicators
                    .iter()
                    .any(|i| i.source_tables().contains(t))
            })
            .collect()
    }
}

/// The `*.toml` files of `dir` (not recursive), sorted by name, with their text.
pub fn read_toml_dir(dir: &Path) -> Result<Vec<(PathBuf, String)>, CatalogueError> {
    let entries = std::fs::read_dir(dir).map_err(|source| CatalogueError::Dir {
        dir: dir.to_path_buf(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|file| match std::fs::read_to_string(&file) {
            Ok(text) => Ok((file, text)),
            Err(source) => Err(CatalogueError::Read { file, source }),
        })
        .collect()
}

impl fmt::Display for Indicator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "id:           {}", self.id)?;
        writeln!(f, "definition:   {}", self.definition)?;
        writeln!(f, "label (fr):   {}", self.label_fr)?;
        writeln!(f, "label (en):   {}", self.label_en)?;
        writeln!(f, "unit:         {}", self.unit.as_str())?;
        writeln!(f, "better:       {}", self.direction.as_str())?;
        writeln!(f, "source table: {}", self.table)?;
        writeln!(f, "origin:       {}", self.origin)?;
        writeln!(f, "method:       {}", self.method.as_str())?;
        writeln!(f, "period date:  {}", self.period_date)?;
        writeln!(f, "filter:       {}", self.full_filter())?;
        for (name, v) in [
            ("value", &self.value),
            ("condition", &self.condition),
            ("numerator", &self.numerator),
            ("denominator", &self.denominator),
            ("dimension", &self.dimension),
        ] {
            if let Some(v) = v {
                writeln!(f, "{name:<13} {v}")?;
            }
        }
        if let Some(p) = &self.denominator_population {
            writeln!(
                f,
                "denominator:  records with period date {} and filter {}",
                p.period_date,
                p.filter.as_deref().unwrap_or("TRUE")
            )?;
        }
        if let Some(s) = self.scale {
            writeln!(f, "scale:        {s}")?;
        }
        writeln!(f, "year value:   {:?}", self.year_rollup)?;
        if let Some(n) = &self.note {
            writeln!(f, "note:         {n}")?;
        }
        write!(f, "defined in:   {}", self.file.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Catalogue, CatalogueError> {
        Catalogue::from_sources(&[(PathBuf::from("t.toml"), text.to_string())])
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
        assert_eq!(c.tables(), vec!["claims"]);
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
