//! Loading `pipelines/`: the indicator definitions ([`indicators`]), the COG targets
//! ([`targets`]), the theme tags ([`themes`]), the confidentiality thresholds (in the definition files) and the coverage of
//! each COG ([`coverage`]). Everything is TOML read strictly into the types of [`crate::model`].
//!
//! The `pipelines/` folder of the repository is compiled into the binary and is the default
//! catalogue, so an installed parangon works from any folder; `--pipelines DIR` or the
//! `PARANGON_PIPELINES` variable point to a folder instead (a statistician's own definitions,
//! read at run time: no recompilation).

pub mod coverage;
pub mod indicators;
pub mod targets;
pub mod themes;

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::CatalogueError;
use crate::model::{Catalogue, CatalogueSource};

/// The catalogue files compiled into the binary, by path relative to `pipelines/`.
mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_pipelines.rs"));
}

/// The catalogue to use: `--pipelines DIR` if given, else `$PARANGON_PIPELINES`, else the
/// embedded one.
pub fn source(folder: Option<PathBuf>) -> CatalogueSource {
    folder
        .or_else(|| std::env::var_os("PARANGON_PIPELINES").map(PathBuf::from))
        .map_or(CatalogueSource::Embedded, CatalogueSource::Folder)
}

/// Loads the definitions and the targets of `source`.
pub fn load(source: &CatalogueSource) -> Result<Catalogue, CatalogueError> {
    let top = files(source, "")?;
    // `themes.toml` sits beside the definitions but is not one.
    let (theme_file, definitions): (Vec<_>, Vec<_>) = top
        .iter()
        .cloned()
        .partition(|(file, _)| file.file_name() == Some(std::ffi::OsStr::new(themes::FILE)));
    if let CatalogueSource::Folder(dir) = source
        && definitions.is_empty()
    {
        return Err(CatalogueError::Empty { dir: dir.clone() });
    }
    let target_files = files(source, "targets")?;
    let mut catalogue = indicators::from_sources(&definitions)?;
    let themes_path = match source {
        CatalogueSource::Embedded => Path::new("pipelines").join(themes::FILE),
        CatalogueSource::Folder(dir) => dir.join(themes::FILE),
    };
    catalogue.themes = themes::parse(
        &themes_path,
        theme_file.first().map(|(_, text)| text.as_str()),
        &catalogue.indicators,
    )?;
    catalogue.targets = targets::from_sources(&target_files, &catalogue.indicators)?;
    let definitions = top;
    let mut hasher = Sha256::new();
    for (prefix, list) in [("", &definitions), ("targets/", &target_files)] {
        for (file, text) in list {
            hasher.update(prefix.as_bytes());
            hasher.update(file.file_name().unwrap_or_default().as_encoded_bytes());
            hasher.update([0]);
            hasher.update(text.as_bytes());
        }
    }
    catalogue.version = format!("sha256:{:x}", hasher.finalize());
    catalogue.source = source.clone();
    Ok(catalogue)
}

/// Loads `source` and keeps the indicators whose id is in `ids` (all, when empty).
pub fn load_selected(
    source: &CatalogueSource,
    ids: &[String],
) -> Result<Catalogue, CatalogueError> {
    let mut catalogue = load(source)?;
    select(&mut catalogue, ids)?;
    Ok(catalogue)
}

/// Keeps the indicators whose id is in `ids` (all their definitions), and the indicators the
/// derived ones among them read; errors on an unknown id.
pub fn select(catalogue: &mut Catalogue, ids: &[String]) -> Result<(), CatalogueError> {
    if ids.is_empty() {
        return Ok(());
    }
    for id in ids {
        if !catalogue.indicators.iter().any(|i| &i.id == id) {
            return Err(CatalogueError::UnknownIndicator {
                id: id.clone(),
                suggestion: catalogue.closest_id(id),
            });
        }
    }
    let mut keep: Vec<String> = ids.to_vec();
    loop {
        let inputs: Vec<String> = catalogue
            .indicators
            .iter()
            .filter(|i| keep.contains(&i.id))
            .filter_map(|i| i.of.clone())
            .filter(|of| !keep.contains(of))
            .collect();
        if inputs.is_empty() {
            break;
        }
        keep.extend(inputs);
    }
    catalogue.indicators.retain(|i| keep.contains(&i.id));
    Ok(())
}

/// The `*.toml` files of `folder` (`""`: the top level, `"targets"`, `"coverage"`), sorted by
/// name, with their text. A sub-folder absent from a catalogue folder holds nothing.
pub fn files(
    source: &CatalogueSource,
    folder: &str,
) -> Result<Vec<(PathBuf, String)>, CatalogueError> {
    match source {
        CatalogueSource::Embedded => Ok(embedded::FILES
            .iter()
            .filter(|(relative, _)| Path::new(relative).parent() == Some(Path::new(folder)))
            .map(|(relative, text)| (Path::new("pipelines").join(relative), text.to_string()))
            .collect()),
        CatalogueSource::Folder(dir) => {
            let dir = dir.join(folder);
            if !folder.is_empty() && !dir.is_dir() {
                return Ok(Vec::new());
            }
            read_toml_dir(&dir)
        }
    }
}

/// The `*.toml` files of `dir` (not recursive), sorted by name, with their text.
fn read_toml_dir(dir: &Path) -> Result<Vec<(PathBuf, String)>, CatalogueError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded catalogue is the repository's `pipelines/`, file for file, hence the same
    /// version hash as loading the folder.
    #[test]
    fn embedded_equals_the_folder() {
        let folder =
            CatalogueSource::Folder(Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines"));
        let embedded = load(&CatalogueSource::Embedded).unwrap();
        let read = load(&folder).unwrap();
        assert_eq!(embedded.version, read.version);
        assert_eq!(embedded.indicators.len(), read.indicators.len());
        assert_eq!(embedded.targets, read.targets);
        for sub in ["coverage", "targets", ""] {
            let names = |s: &CatalogueSource| -> Vec<_> {
                files(s, sub)
                    .unwrap()
                    .into_iter()
                    .map(|(p, t)| (p.file_name().unwrap().to_owned(), t))
                    .collect()
            };
            assert_eq!(names(&CatalogueSource::Embedded), names(&folder), "{sub}");
        }
    }

    #[test]
    fn an_empty_folder_is_an_error() {
        let dir = std::env::temp_dir().join(format!("parangon-empty-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let err = load(&CatalogueSource::Folder(dir.clone())).unwrap_err();
        assert!(
            err.to_string().contains("no indicator definitions"),
            "{err}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
