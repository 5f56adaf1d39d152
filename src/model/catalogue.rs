//! The loaded catalogue: every indicator definition, the COG targets and the confidentiality
//! thresholds, with where they were read from. `crate::pipelines` builds it from TOML.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;

use super::indicator::{BENCH, Indicator};
use super::target::Target;

/// Where a catalogue was read from (recorded in the manifest).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CatalogueSource {
    /// The `pipelines/` folder compiled into the binary (the default).
    #[default]
    Embedded,
    /// A folder given with `--pipelines` or `PARANGON_PIPELINES`.
    Folder(PathBuf),
}

impl fmt::Display for CatalogueSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CatalogueSource::Embedded => write!(
                f,
                "embedded (the pipelines/ of parangon {})",
                env!("CARGO_PKG_VERSION")
            ),
            CatalogueSource::Folder(dir) => write!(f, "{}", dir.display()),
        }
    }
}

/// Every indicator, in file then definition order, and the COG targets.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    pub indicators: Vec<Indicator>,
    /// From `pipelines/targets/*.toml`.
    pub targets: Vec<Target>,
    /// `suppression_threshold` of the pipeline files that set one, by table.
    pub suppression_thresholds: BTreeMap<String, i64>,
    /// SHA-256 over the sorted file names and contents: the catalogue version in the manifest
    /// (equal for the embedded catalogue and a folder holding the same files).
    pub version: String,
    pub source: CatalogueSource,
    /// The theme tag of each indicator id, from `pipelines/themes.toml` (indicators-v2 §1.8).
    pub themes: BTreeMap<String, Theme>,
}

/// The theme tag of an indicator: the section of the annex its rows are printed in
/// (indicators-v2 §1.8), in the annex's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Theme {
    CostsProductivity,
    Controls,
    Dematerialisation,
    Accessibility,
    ProcessingTimes,
    Hr,
    Environment,
    Budget,
    Other,
}

impl Theme {
    /// Every tag, in the annex's order.
    pub const ALL: [Theme; 9] = [
        Theme::CostsProductivity,
        Theme::Controls,
        Theme::Dematerialisation,
        Theme::Accessibility,
        Theme::ProcessingTimes,
        Theme::Hr,
        Theme::Environment,
        Theme::Budget,
        Theme::Other,
    ];

    /// The tag as written in `pipelines/themes.toml` and the outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::CostsProductivity => "costs_productivity",
            Theme::Controls => "controls",
            Theme::Dematerialisation => "dematerialisation",
            Theme::Accessibility => "accessibility",
            Theme::ProcessingTimes => "processing_times",
            Theme::Hr => "hr",
            Theme::Environment => "environment",
            Theme::Budget => "budget",
            Theme::Other => "other",
        }
    }

    pub fn parse(tag: &str) -> Option<Theme> {
        Theme::ALL.into_iter().find(|t| t.as_str() == tag)
    }

    /// The annex's section heading (parangon's own words for the three the annex has no
    /// section for: `hr`, `environment`, `other`).
    pub fn label_fr(self) -> &'static str {
        match self {
            Theme::CostsProductivity => {
                "1.1 Maîtriser les coûts de gestion et développer la productivité"
            }
            Theme::Controls => {
                "1.2 Maîtriser les risques, développer le contrôle et lutter contre la fraude"
            }
            Theme::Dematerialisation => "1.3 Développer la dématérialisation",
            Theme::Accessibility => "2.1 Renforcer l'accessibilité du service",
            Theme::ProcessingTimes => "2.2 Maîtriser les délais de traitement",
            Theme::Hr => "Ressources humaines",
            Theme::Environment => "Développement durable",
            Theme::Budget => "3 Les moyens de gestion",
            Theme::Other => "Autres indicateurs des COG",
        }
    }
}

impl Catalogue {
    /// The theme tag of an indicator id (`other` for an id `themes.toml` does not list, which
    /// the loader refuses for a loaded catalogue).
    pub fn theme_of(&self, id: &str) -> Theme {
        self.themes.get(id).copied().unwrap_or(Theme::Other)
    }

    /// The definitions of one indicator id (bench first, then variants).
    pub fn definitions_of(&self, id: &str) -> Vec<&Indicator> {
        self.indicators.iter().filter(|i| i.id == id).collect()
    }

    /// Whether some definition reads `table` (its own table or a denominator's).
    pub fn reads(&self, table: &str) -> bool {
        self.indicators
            .iter()
            .any(|i| i.source_tables().contains(&table))
    }

    /// The source tables the definitions read, by name.
    pub fn tables(&self) -> BTreeSet<&str> {
        self.indicators
            .iter()
            .flat_map(|i| i.source_tables())
            .collect()
    }

    /// The definition a derived indicator reads (v2 §1.6): `of` in the same definition (a COG
    /// variant's own variant of its input), else `of`'s bench. `None` for a method that reads
    /// records, or an `of` the catalogue does not define (an error at load).
    pub fn input_of(&self, derived: &Indicator) -> Option<&Indicator> {
        let of = derived.of.as_deref()?;
        let find = |definition: &str| {
            self.indicators
                .iter()
                .find(|i| i.id == of && i.definition == definition)
        };
        find(&derived.definition).or_else(|| find(BENCH))
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
}
