//! The input data contract (v1) as data: every table, column, logical type, nullability, code
//! list, and the row rules that send a row to `rejects`, with what each column means.
//!
//! Nothing else in the crate hard-codes a column name of an extract: ingest validates against
//! these specs, the indicator SQL in `pipelines/` refers to the same names, and the contract a
//! user reads (`parangon contract`, `docs/contract.md`) is printed from them ([`doc`]).

pub mod doc;
mod tables;

pub use tables::*;

use datafusion::arrow::datatypes::{DataType, TimeUnit};

/// Logical type of a contract column, with the physical Arrow types it accepts
/// (extracts.md, "Types below are Arrow logical types").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogicalType {
    /// `utf8`; also `large_utf8`, `utf8_view`, dictionary-encoded strings.
    Utf8,
    /// `date32`; also `date64` and `timestamp` (truncated to the Paris date).
    Date,
    /// `timestamp`: wall-clock time in Europe/Paris, naive or timezone-aware.
    Timestamp,
    /// `int`: any signed or unsigned integer width.
    Int,
    /// `float64`: any float or decimal.
    Float,
    /// `bool`.
    Bool,
}

impl LogicalType {
    /// The canonical Arrow type every accepted physical type is cast to before validation.
    pub fn canonical(self) -> DataType {
        match self {
            LogicalType::Utf8 => DataType::Utf8,
            LogicalType::Date => DataType::Date32,
            LogicalType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
            LogicalType::Int => DataType::Int64,
            LogicalType::Float => DataType::Float64,
            LogicalType::Bool => DataType::Boolean,
        }
    }

    /// The contract's own word for the type, as printed in error messages.
    pub fn contract_name(self) -> &'static str {
        match self {
            LogicalType::Utf8 => "utf8",
            LogicalType::Date => "date32",
            LogicalType::Timestamp => "timestamp",
            LogicalType::Int => "int",
            LogicalType::Float => "float64",
            LogicalType::Bool => "bool",
        }
    }

    /// Whether a physical Arrow type found in a file is accepted for this logical type.
    pub fn accepts(self, found: &DataType) -> bool {
        use DataType as T;
        match (self, found) {
            (LogicalType::Utf8, T::Utf8 | T::LargeUtf8 | T::Utf8View) => true,
            (LogicalType::Utf8, T::Dictionary(_, value)) => {
                matches!(value.as_ref(), T::Utf8 | T::LargeUtf8 | T::Utf8View)
            }
            (LogicalType::Date, T::Date32 | T::Date64 | T::Timestamp(_, _)) => true,
            (LogicalType::Timestamp, T::Timestamp(_, _) | T::Date32 | T::Date64) => true,
            (LogicalType::Int, t) => t.is_integer(),
            (LogicalType::Float, t) => {
                t.is_floating() || matches!(t, T::Decimal128(_, _) | T::Decimal256(_, _))
            }
            (LogicalType::Bool, T::Boolean) => true,
            _ => false,
        }
    }
}

/// One column of a contract table.
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    pub name: &'static str,
    /// What the column holds, as the contract says it (`parangon contract`).
    pub meaning: &'static str,
    pub ty: LogicalType,
    /// `null: no` in the contract: a null sends the row to rejects.
    pub required: bool,
    /// The closed list of codes, matched exactly (no case or space folding).
    pub codes: Option<&'static [&'static str]>,
    /// Amounts, durations and counts that cannot be negative.
    pub non_negative: bool,
    /// Inclusive range for bounded integers (satisfaction scores 1-4).
    pub range: Option<(i64, i64)>,
}

const fn col(
    name: &'static str,
    ty: LogicalType,
    required: bool,
    meaning: &'static str,
) -> ColumnSpec {
    ColumnSpec {
        name,
        meaning,
        ty,
        required,
        codes: None,
        non_negative: false,
        range: None,
    }
}

const fn codes(
    name: &'static str,
    list: &'static [&'static str],
    meaning: &'static str,
) -> ColumnSpec {
    ColumnSpec {
        name,
        meaning,
        ty: LogicalType::Utf8,
        required: true,
        codes: Some(list),
        non_negative: false,
        range: None,
    }
}

const fn amount(name: &'static str, required: bool, meaning: &'static str) -> ColumnSpec {
    ColumnSpec {
        name,
        meaning,
        ty: LogicalType::Float,
        required,
        codes: None,
        non_negative: true,
        range: None,
    }
}

const fn count(name: &'static str, required: bool, meaning: &'static str) -> ColumnSpec {
    ColumnSpec {
        name,
        meaning,
        ty: LogicalType::Int,
        required,
        codes: None,
        non_negative: true,
        range: None,
    }
}

/// A date order that cannot be: `later` strictly before `earlier` rejects the row.
#[derive(Debug, Clone, Copy)]
pub struct DateOrder {
    pub earlier: &'static str,
    pub later: &'static str,
}

/// How a record is identified, for the duplicate rule and for the key printed in rejects.
#[derive(Debug, Clone, Copy)]
pub enum RecordKey {
    /// A utf8 id column unique within the caisse (`claim_id`, …).
    Id(&'static str),
    /// Yearly tables: one row per caisse and year.
    CaisseYear,
}

/// One fact table of the contract.
#[derive(Debug)]
pub struct TableSpec {
    pub name: &'static str,
    /// What the table holds, e.g. "complaints" (`parangon contract`).
    pub title: &'static str,
    pub columns: &'static [ColumnSpec],
    pub key: RecordKey,
    pub date_orders: &'static [DateOrder],
}

impl TableSpec {
    pub fn column(&self, name: &str) -> Option<&ColumnSpec> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// Looks a fact table up by name.
pub fn table(name: &str) -> Option<&'static TableSpec> {
    TABLES.iter().copied().find(|t| t.name == name)
}

/// Columns the engine appends to every accepted row from `reference/caisses`, so that indicator
/// SQL can scope a COG variant to an organism and pick a caisse's holiday calendar.
pub const REFERENCE_COLUMNS: &[(&str, LogicalType)] = &[
    ("organism", LogicalType::Utf8),
    ("alsace_moselle", LogicalType::Bool),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::ymd;

    #[test]
    fn plausible_range_is_1950_to_2099() {
        assert_eq!(PLAUSIBLE_DAYS.0, ymd(1950, 1, 1));
        assert_eq!(PLAUSIBLE_DAYS.1, ymd(2099, 12, 31));
    }

    #[test]
    fn every_table_has_caisse_id_and_its_key_column() {
        for t in TABLES {
            assert!(t.column("caisse_id").is_some(), "{}", t.name);
            if let RecordKey::Id(id) = t.key {
                assert_eq!(t.column(id).map(|c| c.ty), Some(LogicalType::Utf8));
            } else {
                assert!(t.column("year").is_some());
            }
            for o in t.date_orders {
                assert!(t.column(o.earlier).is_some() && t.column(o.later).is_some());
            }
        }
    }

    #[test]
    fn accepted_physical_types() {
        use DataType as T;
        assert!(LogicalType::Utf8.accepts(&T::Utf8View));
        assert!(LogicalType::Utf8.accepts(&T::Dictionary(Box::new(T::Int32), Box::new(T::Utf8))));
        assert!(LogicalType::Int.accepts(&T::UInt16));
        assert!(LogicalType::Float.accepts(&T::Decimal128(12, 2)));
        assert!(LogicalType::Date.accepts(&T::Timestamp(TimeUnit::Millisecond, None)));
        assert!(!LogicalType::Date.accepts(&T::Utf8));
        assert!(!LogicalType::Bool.accepts(&T::Int8));
    }
}
