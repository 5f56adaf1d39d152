//! The `benchmark` table (outputs.md): comparing the caisses of each organism, and all caisses.
//!
//! For every indicator × definition × year and scope (`organism:<code>`, or `national` for all
//! caisses of a bench definition), over the yearly caisse values (whole, not a breakdown):
//! the number of caisses, the mean, the population standard deviation (divide by N), the
//! coefficient of variation — the annex's *dispersion*, « rapport écart-type / moyenne » —, the
//! minimum, quartiles and maximum, the best and worst caisse by the indicator's direction, and
//! each caisse's rank (1 = best, ties share a rank).
//!
//! The mean and the dispersion are unweighted across caisses (indicators.md, "Dispersion").
//! Quartiles are nearest-rank quantiles, as every quantile of the catalogue (indicators-v2
//! §1.3): of n sorted values, p25, the median and p75 are the values of rank ⌈q × n⌉ —
//! always one of the caisse values, the median the lower one (docs/decisions.md).

use std::collections::BTreeMap;

use crate::model::{BENCH, Catalogue, Direction, IndicatorValue, Level, nearest_rank};

/// One row of `benchmark`.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchmarkRow {
    pub indicator_id: String,
    pub definition: String,
    pub year: i32,
    /// `national` or `organism:<code>`.
    pub scope: String,
    pub unit: &'static str,
    pub direction: Direction,
    pub n_caisses: i64,
    pub mean: f64,
    pub stddev: f64,
    /// `stddev / mean`, as a ratio (0.1258 prints as 12,58 %); null when the mean is 0.
    pub cv: Option<f64>,
    pub min: f64,
    pub p25: f64,
    pub median: f64,
    pub p75: f64,
    pub max: f64,
    pub best_caisse: Option<String>,
    pub worst_caisse: Option<String>,
}

/// One caisse's rank in a scope (`benchmark_ranks`, beside `benchmark`).
#[derive(Debug, Clone, PartialEq)]
pub struct RankRow {
    pub indicator_id: String,
    pub definition: String,
    pub year: i32,
    pub scope: String,
    pub caisse_id: String,
    pub organism: String,
    pub value: f64,
    /// 1 = best by the indicator's direction; null for an indicator without direction.
    pub rank: Option<i64>,
}

/// (indicator, definition, year) → scope → [(caisse, organism, value)].
type Groups<'a> = BTreeMap<(&'a str, &'a str, i32), BTreeMap<String, Vec<(&'a str, &'a str, f64)>>>;

/// Benchmark rows and ranks from the indicator values (suppressed values are left out: a
/// caisse too small to publish is not compared).
pub fn benchmark(
    values: &[IndicatorValue],
    catalogue: &Catalogue,
) -> (Vec<BenchmarkRow>, Vec<RankRow>) {
    let mut groups: Groups = BTreeMap::new();
    for v in values {
        if v.level != Level::Caisse || v.month.is_some() || v.dimension.is_some() || v.suppressed {
            continue;
        }
        let (Some(caisse), Some(organism)) = (v.caisse_id.as_deref(), v.organism.as_deref()) else {
            continue;
        };
        let scopes = groups
            .entry((&v.indicator_id, &v.definition, v.year))
            .or_default();
        scopes
            .entry(format!("organism:{organism}"))
            .or_default()
            .push((caisse, organism, v.value));
        if v.definition == BENCH {
            scopes
                .entry("national".into())
                .or_default()
                .push((caisse, organism, v.value));
        }
    }
    let mut rows = Vec::new();
    let mut ranks = Vec::new();
    for ((id, definition, year), scopes) in groups {
        let Some(ind) = catalogue
            .indicators
            .iter()
            .find(|i| i.id == id && i.definition == definition)
        else {
            continue;
        };
        for (scope, mut members) in scopes {
            members.sort_by(|a, b| a.0.cmp(b.0));
            let values: Vec<f64> = members.iter().map(|m| m.2).collect();
            let stats = Stats::of(&values);
            // Best first: by value in the better direction, then by caisse id for ties.
            let mut order: Vec<usize> = (0..members.len()).collect();
            match ind.direction {
                Direction::Higher => order.sort_by(|&a, &b| {
                    values[b]
                        .total_cmp(&values[a])
                        .then(members[a].0.cmp(members[b].0))
                }),
                Direction::Lower => order.sort_by(|&a, &b| {
                    values[a]
                        .total_cmp(&values[b])
                        .then(members[a].0.cmp(members[b].0))
                }),
                Direction::None => {}
            }
            let directed = ind.direction != Direction::None;
            rows.push(BenchmarkRow {
                indicator_id: id.to_string(),
                definition: definition.to_string(),
                year,
                scope: scope.clone(),
                unit: ind.unit.as_str(),
                direction: ind.direction,
                n_caisses: members.len() as i64,
                mean: stats.mean,
                stddev: stats.stddev,
                cv: (stats.mean != 0.0).then(|| stats.stddev / stats.mean),
                min: stats.min,
                p25: stats.p25,
                median: stats.median,
                p75: stats.p75,
                max: stats.max,
                best_caisse: directed.then(|| members[order[0]].0.to_string()),
                worst_caisse: directed
                    .then(|| members[*order.last().expect("non-empty")].0.to_string()),
            });
            // Competition ranking: equal values share the rank of the first of them (1, 2, 2, 4).
            let mut rank_of = vec![None; members.len()];
            if directed {
                for (position, &i) in order.iter().enumerate() {
                    let rank = match position {
                        0 => 1,
                        _ if values[i] == values[order[position - 1]] => {
                            rank_of[order[position - 1]].expect("set")
                        }
                        _ => position as i64 + 1,
                    };
                    rank_of[i] = Some(rank);
                }
            }
            for (i, (caisse, organism, value)) in members.iter().enumerate() {
                ranks.push(RankRow {
                    indicator_id: id.to_string(),
                    definition: definition.to_string(),
                    year,
                    scope: scope.clone(),
                    caisse_id: caisse.to_string(),
                    organism: organism.to_string(),
                    value: *value,
                    rank: rank_of[i],
                });
            }
        }
    }
    (rows, ranks)
}

/// Summary statistics of a non-empty list.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    pub mean: f64,
    /// Population standard deviation (divide by N).
    pub stddev: f64,
    pub min: f64,
    pub p25: f64,
    pub median: f64,
    pub p75: f64,
    pub max: f64,
}

impl Stats {
    pub fn of(values: &[f64]) -> Stats {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        Stats {
            mean,
            stddev: variance.sqrt(),
            min: sorted[0],
            p25: quantile(&sorted, 2500),
            median: quantile(&sorted, 5000),
            p75: quantile(&sorted, 7500),
            max: sorted[sorted.len() - 1],
        }
    }
}

/// The nearest-rank quantile of a non-empty sorted list, q = `basis` / 10 000: the value of
/// rank ⌈q × n⌉ (R type 1: the inverse of the empirical distribution function).
fn quantile(sorted: &[f64], basis: u32) -> f64 {
    let rank = nearest_rank(sorted.len() as u64, basis).max(1);
    sorted[rank as usize - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_by_hand() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, population stddev 2 (the textbook example).
        let s = Stats::of(&[9.0, 2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0]);
        assert_eq!((s.mean, s.stddev, s.min, s.max), (5.0, 2.0, 2.0, 9.0));
        // Nearest rank on n = 8: p25 ⌈2⌉ = 2nd → 4; median ⌈4⌉ = 4th → 4 (the lower median,
        // not 4.5); p75 ⌈6⌉ = 6th → 5 (interpolation gave 5.5).
        assert_eq!((s.p25, s.median, s.p75), (4.0, 4.0, 5.0));
        let one = Stats::of(&[3.0]);
        assert_eq!(
            (one.stddev, one.p25, one.median, one.p75),
            (0.0, 3.0, 3.0, 3.0)
        );
    }

    #[test]
    fn quartiles_by_nearest_rank() {
        // 1..10 (given unsorted): p25 ⌈2.5⌉ = 3rd → 3; median ⌈5⌉ → 5; p75 ⌈7.5⌉ = 8th → 8.
        let values: Vec<f64> = (1..=10).rev().map(f64::from).collect();
        let s = Stats::of(&values);
        assert_eq!((s.p25, s.median, s.p75), (3.0, 5.0, 8.0));
        // Three caisses 100, 110, 130: p25 ⌈0.75⌉ = 1st → 100; median ⌈1.5⌉ = 2nd → 110;
        // p75 ⌈2.25⌉ = 3rd → 130. Always one of the values.
        let s = Stats::of(&[130.0, 100.0, 110.0]);
        assert_eq!((s.p25, s.median, s.p75), (100.0, 110.0, 130.0));
        // Two caisses: the lower median.
        let s = Stats::of(&[92.5, 90.0]);
        assert_eq!((s.p25, s.median, s.p75), (90.0, 90.0, 92.5));
    }
}
