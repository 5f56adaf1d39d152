//! Computed values: one row of `indicator_values` (outputs.md) per indicator × definition ×
//! level × entity (a caisse, an organism or the nation) × breakdown value × period.

use super::indicator::Unit;

/// The level of an entity compared: a caisse, an organism (its caisses pooled) or the nation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Caisse,
    Organism,
    National,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Caisse => "caisse",
            Level::Organism => "organism",
            Level::National => "national",
        }
    }
}

/// One row of `indicator_values`.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorValue {
    pub indicator_id: String,
    pub definition: String,
    pub level: Level,
    pub caisse_id: Option<String>,
    pub organism: Option<String>,
    pub dimension: Option<String>,
    pub dimension_value: Option<String>,
    pub year: i32,
    pub month: Option<i32>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub value: f64,
    pub unit: Unit,
    pub n_records: i64,
    pub target_op: Option<String>,
    pub target: Option<f64>,
    pub target_met: Option<bool>,
    pub suppressed: bool,
    /// `absolute`, `previous_year`, `base_year`, `text`, `monitoring`; null: no target.
    pub target_kind: Option<String>,
    /// The document's words for the target, verbatim.
    pub target_text: Option<String>,
    /// Records left out as pending at the as-of date (indicators-v2 §1.1); `None` for an
    /// indicator without a deadline.
    pub n_pending: Option<i64>,
    /// The period ends after the as-of date of a caisse it covers.
    pub provisional: bool,
}

impl IndicatorValue {
    /// `2024` or `2024-03`.
    pub fn period(&self) -> String {
        match self.month {
            None => format!("{}", self.year),
            Some(m) => format!("{}-{m:02}", self.year),
        }
    }

    /// The stable order of the table: indicator, definition, level, organism, caisse,
    /// whole before breakdowns, year before its months.
    pub fn sort_key(&self) -> impl Ord + '_ {
        (
            &self.indicator_id,
            &self.definition,
            self.level,
            &self.organism,
            &self.caisse_id,
            &self.dimension,
            &self.dimension_value,
            self.year,
            self.month,
        )
    }
}

/// Sorts values into the table's stable order.
pub fn sort(values: &mut [IndicatorValue]) {
    values.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}

/// An indicator definition that could not be computed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotComputed {
    pub indicator_id: String,
    pub definition: String,
    pub reason: String,
}
