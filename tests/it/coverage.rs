//! The coverage report: every COG indicator of the four documents is listed, references to
//! the catalogue exist, targets only sit on computed indicators, and docs/coverage.md is the
//! command's current output.

use crate::common::{catalogue, pipelines};
use parangon::model::CatalogueSource;
use parangon::pipelines::coverage;

#[test]
fn coverage_is_consistent_with_catalogue_and_targets() {
    let catalogue = catalogue();
    let lines = coverage::load(&CatalogueSource::Folder(pipelines()), &catalogue).unwrap();
    // Every indicator of each document, as counted in ../shared/research.
    for (title, n) in [
        ("Cavimac COG 2023-2027", 34),
        ("CRPCEN COG 2016-2019", 53),
        ("Camieg COG 2017-2020", 29),
        ("Cnav COG 2018-2022", 30),
    ] {
        assert_eq!(
            lines.iter().filter(|l| l.title == title).count(),
            n,
            "{title}"
        );
    }
    // A target of a COG is only loaded for an indicator the coverage says is computed, with the
    // same indicator id (the annex's targets, of another document, have no coverage lines).
    for t in catalogue
        .targets
        .iter()
        .filter(|t| lines.iter().any(|l| l.document == t.document))
    {
        let line = lines
            .iter()
            .find(|l| l.organism == t.organism && l.number == t.number)
            .unwrap_or_else(|| panic!("{} has no coverage line", t.source));
        assert!(
            line.computed
                .iter()
                .any(|(id, d)| id == &t.indicator && d == &t.definition),
            "{}: target on {}[{}] but coverage says {:?}",
            t.source,
            t.indicator,
            t.definition,
            line.computed
        );
    }
    // Every variant serves a COG indicator of its organism; every bench id (through any of its
    // definitions) serves one too, or comes from the annex.
    for ind in &catalogue.indicators {
        let used = if ind.definition == "bench" {
            lines
                .iter()
                .any(|l| l.computed.iter().any(|(id, _)| id == &ind.id))
        } else {
            lines.iter().any(|l| {
                l.organism == ind.definition
                    && l.computed
                        .iter()
                        .any(|(id, d)| id == &ind.id && d == &ind.definition)
            })
        };
        let annex_only = ind.origin.starts_with("Annex");
        assert!(used || annex_only, "{} serves no COG indicator", ind.key());
    }
}

#[test]
fn docs_coverage_md_is_the_commands_output() {
    let catalogue = catalogue();
    let lines = coverage::load(&CatalogueSource::Folder(pipelines()), &catalogue).unwrap();
    let expected = coverage::markdown(&lines);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/coverage.md");
    let actual = std::fs::read_to_string(&path).unwrap();
    assert!(
        actual == expected,
        "docs/coverage.md is stale: run `cargo run -- indicators --coverage > docs/coverage.md`"
    );
}
