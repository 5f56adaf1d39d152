//! The theme tags of `pipelines/themes.toml` (indicators-v2 §1.8): one tag per indicator id,
//! written as lists of ids under each tag, in the annex's order. Every id of the catalogue
//! needs a tag; an id the catalogue does not have yet may be listed (so the file can name every
//! id of the specification); a tag outside the nine is an error.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::CatalogueError;
use crate::model::{Indicator, Theme};

/// The file's name at the top of `pipelines/`.
pub const FILE: &str = "themes.toml";

/// Parses `text` (the file `file`) and checks that every indicator of `indicators` has a tag.
/// `text` is `None` when the catalogue has no `themes.toml`.
pub fn parse(
    file: &Path,
    text: Option<&str>,
    indicators: &[Indicator],
) -> Result<BTreeMap<String, Theme>, CatalogueError> {
    let parsed: BTreeMap<String, Vec<String>> = match text {
        None => BTreeMap::new(),
        Some(text) => toml::from_str(text).map_err(|e| CatalogueError::Parse {
            file: file.to_path_buf(),
            message: e.to_string(),
        })?,
    };
    let tags: Vec<&str> = Theme::ALL.iter().map(|t| t.as_str()).collect();
    let mut themes = BTreeMap::new();
    for (tag, ids) in parsed {
        let theme = Theme::parse(&tag).ok_or_else(|| CatalogueError::Parse {
            file: file.to_path_buf(),
            message: format!("unknown theme tag '{tag}' (one of {})", tags.join(", ")),
        })?;
        for id in ids {
            if let Some(other) = themes.insert(id.clone(), theme) {
                return Err(CatalogueError::Invalid {
                    file: file.to_path_buf(),
                    indicator: id,
                    message: format!(
                        "tagged twice ('{}' and '{}')",
                        other.as_str(),
                        theme.as_str()
                    ),
                });
            }
        }
    }
    for ind in indicators {
        if !themes.contains_key(&ind.id) {
            return Err(CatalogueError::Invalid {
                file: file.to_path_buf(),
                indicator: ind.id.clone(),
                message: format!(
                    "no theme tag: list the id under one of {} (indicators-v2 §1.8)",
                    tags.join(", ")
                ),
            });
        }
    }
    Ok(themes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn indicator(id: &str) -> Indicator {
        let mut ind = toml::from_str::<Indicator>(
            r#"
id = "x"
label_fr = "x"
label_en = "x"
unit = "%"
direction = "higher"
origin = "o"
method = "share"
period_date = "d"
condition = "TRUE"
"#,
        )
        .unwrap();
        ind.id = id.to_string();
        ind
    }

    #[test]
    fn tags_ids_and_errors() {
        let file = Path::new("pipelines/themes.toml");
        let ok = "controls = [\"controls_tif\"]\nother = [\"not_yet_in_the_catalogue\"]\n";
        let themes = parse(file, Some(ok), &[indicator("controls_tif")]).unwrap();
        assert_eq!(themes["controls_tif"], Theme::Controls);
        assert_eq!(themes["not_yet_in_the_catalogue"], Theme::Other);
        // An id of the catalogue without a tag.
        let err = parse(file, Some(ok), &[indicator("unit_cost")]).unwrap_err();
        assert!(err.to_string().contains("unit_cost: no theme tag"), "{err}");
        assert!(parse(file, None, &[indicator("unit_cost")]).is_err());
        // An unknown tag, and an id under two tags.
        let err = parse(file, Some("costs = [\"unit_cost\"]"), &[]).unwrap_err();
        assert!(
            err.to_string().contains("unknown theme tag 'costs'"),
            "{err}"
        );
        let twice = "hr = [\"x\"]\nother = [\"x\"]";
        assert!(parse(file, Some(twice), &[]).is_err());
    }
}
