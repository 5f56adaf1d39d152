//! An indicator definition as written in `pipelines/<table>.toml`: its metadata, its method
//! and its SQL expressions. Loading and checking them is `crate::pipelines`; this module only
//! says what a definition *is*.

use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;

use super::target::Op;

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
    /// A number of things: records, or distinct units (`count`, `count_distinct`).
    #[serde(rename = "count")]
    Count,
    /// Percentage points: a change of a `%` value.
    #[serde(rename = "pt")]
    Pt,
    /// Square metres (per agent).
    #[serde(rename = "m2")]
    M2,
    #[serde(rename = "kwh")]
    Kwh,
    /// kWh per square metre.
    #[serde(rename = "kwh_m2")]
    KwhM2,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Percent => "%",
            Unit::Days => "days",
            Unit::Eur => "eur",
            Unit::Etp => "etp",
            Unit::Ratio => "ratio",
            Unit::Count => "count",
            Unit::Pt => "pt",
            Unit::M2 => "m2",
            Unit::Kwh => "kwh",
            Unit::KwhM2 => "kwh_m2",
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
    /// 9th decile by nearest rank of an integer `value` (delays in days): `quantile`, q = 0.9.
    P90,
    /// Nearest-rank quantile `q` of an integer `value`: the value of rank ⌈q × n⌉.
    Quantile,
    /// The number of records of the filter.
    Count,
    /// The number of distinct values of `distinct` among the records of the filter.
    #[serde(rename = "count_distinct")]
    CountDistinct,
    /// Derived (v2 §1.6): 100 − the `%` value of indicator `of`, at the same key.
    Complement,
    /// Derived: the change of indicator `of`'s yearly value from year N−1 to N.
    Yoy,
    /// Derived: 100 × σ / μ of the caisse-level yearly values of `of`, per organism.
    Dispersion,
    /// Derived: the number of caisses whose yearly value of `of` satisfies `meeting`.
    #[serde(rename = "caisses_meeting")]
    CaissesMeeting,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Mean => "mean",
            Method::Share => "share",
            Method::Ratio => "ratio",
            Method::Sum => "sum",
            Method::P90 => "p90",
            Method::Quantile => "quantile",
            Method::Count => "count",
            Method::CountDistinct => "count_distinct",
            Method::Complement => "complement",
            Method::Yoy => "yoy",
            Method::Dispersion => "dispersion",
            Method::CaissesMeeting => "caisses_meeting",
        }
    }

    /// Whether the method reads other indicators' values (`crate::compute::derived`) rather
    /// than records (the cube).
    pub fn is_derived(self) -> bool {
        matches!(
            self,
            Method::Complement | Method::Yoy | Method::Dispersion | Method::CaissesMeeting
        )
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
    /// Column or SQL expression placing a record in a period (none for a derived method).
    #[serde(default)]
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
    /// `quantile`: the rank's fraction, 0 < q ≤ 1, at most 4 decimals.
    pub q: Option<f64>,
    /// The unit counted, an SQL expression: `count_distinct` counts its distinct values; a
    /// `share` with it counts units (a unit meets the condition when one of its records does).
    /// Units are distinct within a caisse; levels above add the caisses' counts.
    pub distinct: Option<String>,
    /// Several independent breakdowns (never crossed); `dimension = "x"` is `["x"]`.
    pub dimensions: Option<Vec<String>>,
    /// `false`: only the breakdown values, no whole (default `true`).
    pub whole: Option<bool>,
    /// A share "met within a deadline": SQL of each record's last allowed day (a date) or
    /// instant (a timestamp). A record not meeting `condition` is *pending* while its deadline
    /// has not elapsed at the caisse's as-of date: left out of both sides, counted in
    /// `n_pending` (indicators-v2 §1.1).
    pub deadline: Option<String>,
    /// Derived methods: the id of the indicator read (a COG variant reads its organism's
    /// variant of it, or the bench).
    pub of: Option<String>,
    /// `caisses_meeting`: the breakdown of `of` read (with `of_dimension_value`); none: the whole.
    pub of_dimension: Option<String>,
    pub of_dimension_value: Option<String>,
    /// `caisses_meeting`: the comparison a caisse's value must meet, e.g. `">= 90"`.
    pub meeting: Option<String>,
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

/// q in ten-thousandths (0.9 → 9000), rounded: the loader checks that q has at most 4
/// decimals, so that ⌈q × n⌉ is computed exactly in integers.
pub fn quantile_basis(q: f64) -> u32 {
    (q * 10_000.0).round() as u32
}

/// The nearest rank k = ⌈q × n⌉ of the quantile q = `basis` / 10 000 among n sorted values
/// (1-based; 0 only when n = 0), in integers so that 0.9 × 10 is exactly 9. The median
/// (`basis` 5000) is the lower median. Used by the quantile methods and by the benchmark's
/// quartiles (indicators-v2 §1.3).
pub fn nearest_rank(n: u64, basis: u32) -> u64 {
    (u64::from(basis) * n).div_ceil(10_000)
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

    /// The source tables: its own, and the denominator's for a ratio across tables; none for a
    /// derived indicator, which reads values, not a table.
    pub fn source_tables(&self) -> Vec<&str> {
        if self.method.is_derived() {
            return Vec::new();
        }
        let mut v = vec![self.table.as_str()];
        if let Some(t) = &self.denominator_table {
            v.push(t.as_str());
        }
        v
    }

    /// The breakdown columns, in order: `dimensions`, or the one `dimension`.
    pub fn breakdowns(&self) -> Vec<&str> {
        match (&self.dimensions, &self.dimension) {
            (Some(list), _) => list.iter().map(String::as_str).collect(),
            (None, Some(d)) => vec![d.as_str()],
            (None, None) => Vec::new(),
        }
    }

    /// Whether the whole (all breakdown values pooled) is produced.
    pub fn produces_whole(&self) -> bool {
        self.whole.unwrap_or(true)
    }

    /// The nearest-rank quantile in ten-thousandths (`p90`: 9000), for the histogram methods.
    pub fn quantile_basis(&self) -> Option<u32> {
        match self.method {
            Method::P90 => Some(9000),
            Method::Quantile => self.q.map(quantile_basis),
            _ => None,
        }
    }

    /// `caisses_meeting`'s `meeting = ">= 90"` as an operator and a threshold.
    pub fn meeting(&self) -> Option<(Op, f64)> {
        let text = self.meeting.as_deref()?.trim();
        let split = text
            .find(|c: char| !matches!(c, '<' | '>' | '='))
            .unwrap_or(text.len());
        let op = match &text[..split] {
            ">=" => Op::Ge,
            "<=" => Op::Le,
            ">" => Op::Gt,
            "<" => Op::Lt,
            "=" => Op::Eq,
            _ => return None,
        };
        let threshold = text[split..].trim().parse::<f64>().ok()?;
        threshold.is_finite().then_some((op, threshold))
    }

    /// `id` for bench, `id[ORG]` for a variant: the name used in messages.
    pub fn key(&self) -> String {
        match self.organism_scope() {
            None => self.id.clone(),
            Some(org) => format!("{}[{org}]", self.id),
        }
    }
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
            ("distinct", &self.distinct),
            ("deadline", &self.deadline),
            ("of", &self.of),
            ("of dimension", &self.of_dimension),
            ("of value", &self.of_dimension_value),
            ("meeting", &self.meeting),
        ] {
            if let Some(v) = v {
                writeln!(f, "{name:<13} {v}")?;
            }
        }
        if let Some(list) = &self.dimensions {
            writeln!(f, "dimensions:   {}", list.join(", "))?;
        }
        if self.whole == Some(false) {
            writeln!(f, "whole:        no (breakdown values only)")?;
        }
        if let Some(q) = self.q {
            writeln!(f, "q:            {q}")?;
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

    #[test]
    fn nearest_rank_by_hand() {
        // 1..10: q = 0.25 → ⌈2.5⌉ = 3; 0.5 → 5; 0.9 → 9 (exactly, not 9.000000000000002 → 10).
        assert_eq!(nearest_rank(10, quantile_basis(0.25)), 3);
        assert_eq!(nearest_rank(10, quantile_basis(0.5)), 5);
        assert_eq!(nearest_rank(10, quantile_basis(0.9)), 9);
        assert_eq!(nearest_rank(10, quantile_basis(1.0)), 10);
        // One value: every q is rank 1. Lower median of 4: rank 2.
        assert_eq!(nearest_rank(1, quantile_basis(0.0001)), 1);
        assert_eq!(nearest_rank(1, 10_000), 1);
        assert_eq!(nearest_rank(4, 5000), 2);
        // 0.9 × 11 = 9.9 → 10; 0.1234 × 100 = 12.34 → 13.
        assert_eq!(nearest_rank(11, 9000), 10);
        assert_eq!(nearest_rank(100, quantile_basis(0.1234)), 13);
        assert_eq!(nearest_rank(0, 9000), 0);
    }
}
