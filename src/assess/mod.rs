//! Assess: the rules applied to computed values, each a pure function over the model —
//! COG targets ([`targets`]), statistical confidentiality ([`confidentiality`]) and the
//! comparison of caisses ([`benchmark`]). They need every value of a run (secondary
//! suppression crosses caisses, organisms, breakdowns and months), so they run once all tables
//! are computed.

pub mod benchmark;
pub mod confidentiality;
pub mod targets;

use crate::model::{Catalogue, IndicatorValue};
use benchmark::{BenchmarkRow, RankRow};
use confidentiality::Suppression;

/// The values with their targets and masks, and the benchmark built on them.
#[derive(Debug, Clone, Default)]
pub struct Assessment {
    /// In the stable order of `indicator_values`, with `target_*` and `suppressed` set.
    pub values: Vec<IndicatorValue>,
    pub suppression: Suppression,
    pub benchmark: Vec<BenchmarkRow>,
    pub ranks: Vec<RankRow>,
}

/// Targets, then confidentiality (whose masks the benchmark respects), then the benchmark.
/// `values` must be in the stable order of `indicator_values` (`crate::model::sort`).
pub fn assess(
    mut values: Vec<IndicatorValue>,
    catalogue: &Catalogue,
    suppression_threshold: i64,
) -> Assessment {
    targets::apply(&mut values, &catalogue.targets);
    let suppression = confidentiality::apply(&mut values, catalogue, suppression_threshold);
    let (benchmark, ranks) = benchmark::benchmark(&values, catalogue);
    Assessment {
        values,
        suppression,
        benchmark,
        ranks,
    }
}

/// The benchmark of values already assessed (read back from a published output).
pub fn benchmark_only(values: Vec<IndicatorValue>, catalogue: &Catalogue) -> Assessment {
    let (benchmark, ranks) = benchmark::benchmark(&values, catalogue);
    Assessment {
        values,
        benchmark,
        ranks,
        ..Assessment::default()
    }
}
