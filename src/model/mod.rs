//! The domain model: indicator definitions, the catalogue, targets and their comparisons,
//! computed values and their levels. Every other module speaks these types; this one depends on
//! nothing else in the crate (a leaf), so it can be read first and alone.

mod catalogue;
mod indicator;
mod target;
mod value;

pub use catalogue::{Catalogue, CatalogueSource, Theme};
pub use indicator::{
    BENCH, Direction, Grain, Indicator, Method, Population, Unit, YearRollup, nearest_rank,
    quantile_basis,
};
pub use target::{Change, Condition, Objective, Op, Target, TargetKind, Threshold};
pub use value::{IndicatorValue, Level, NotComputed, sort};
