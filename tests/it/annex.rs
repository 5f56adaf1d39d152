//! The annex tables reproduce the annex's arithmetic (`../shared/research/seed-annex.md` §1.3,
//! T1-T4) from computed values, and render to Parquet, Excel and HTML.

use crate::common::*;
use parangon::assess::benchmark;
use parangon::render::annex::{self, AnnexInput, Cell, Table};

fn plain(s: String) -> String {
    s.replace(['\u{a0}', '\u{202f}'], " ")
        .replace('\u{2212}', "-")
}

fn tables(out: &Computed, year: i32) -> Vec<Table> {
    let catalogue = catalogue();
    let (rows, ranks) = benchmark::benchmark(&out.values, &catalogue);
    annex::tables(&AnnexInput {
        values: &out.values,
        benchmark: &rows,
        ranks: &ranks,
        catalogue: &catalogue,
        year,
    })
}

fn row(table: &Table, organism: &str, indicator_prefix: &str) -> Vec<String> {
    table
        .rows
        .iter()
        .find(|r| r.organism == organism && r.indicator.starts_with(indicator_prefix))
        .unwrap_or_else(|| {
            panic!(
                "no row {organism} / {indicator_prefix} in table {}",
                table.key
            )
        })
        .cells
        .iter()
        .map(|c| plain(c.display()))
        .collect()
}

/// Annex T4: « ETP MOYEN ANNUEL CDI + CDD » 2007 and 2008 of the four national organisms.
#[tokio::test]
async fn staff_table_reproduces_the_annex_variations() {
    let f = Fixture::new(&[
        ("CNAMTS", "CNAMTS", false),
        ("CNAF", "CNAF", false),
        ("CNAV", "CNAV", false),
        ("ACOSS", "ACOSS", false),
    ]);
    let figures = [
        ("CNAMTS", 97_717.0, 96_349.0),
        ("CNAF", 29_924.0, 29_669.0),
        ("CNAV", 14_149.0, 14_083.0),
        ("ACOSS", 14_183.0, 14_303.0),
    ];
    let mut caisse = Vec::new();
    let mut year = Vec::new();
    let mut etp = Vec::new();
    for (org, y2007, y2008) in figures {
        caisse.extend([Some(org), Some(org)]);
        year.extend([Some(2007), Some(2008)]);
        etp.extend([Some(y2007), Some(y2008)]);
    }
    f.table(
        "staff",
        "part-0.parquet",
        vec![
            ("caisse_id", text(&caisse)),
            ("year", ints(&year)),
            ("etp", floats(&etp)),
        ],
    );
    let out = f.compute().await;
    let c = tables(&out, 2008)
        .into_iter()
        .find(|t| t.key == "C")
        .unwrap();
    assert_eq!(c.columns, ["2007", "2008", "2007/2008", "2004/2008"]);
    let order: Vec<&str> = c.rows.iter().map(|r| r.organism.as_str()).collect();
    assert_eq!(order, ["CNAMTS", "CNAF", "CNAV", "ACOSS", "Régime général"]);
    // The annex prints – 1,40 %, – 0,85 %, – 0,47 % and 0,85 %.
    assert_eq!(row(&c, "CNAMTS", ""), ["97 717", "96 349", "-1,40 %", "—"]);
    assert_eq!(row(&c, "CNAF", ""), ["29 924", "29 669", "-0,85 %", "—"]);
    assert_eq!(row(&c, "CNAV", ""), ["14 149", "14 083", "-0,47 %", "—"]);
    assert_eq!(row(&c, "ACOSS", ""), ["14 183", "14 303", "0,85 %", "—"]);
    // Total row: 155 973 → 154 404, – 1,01 %.
    assert_eq!(
        row(&c, "Régime général", ""),
        ["155 973", "154 404", "-1,01 %", "—"]
    );
    assert!(c.rows.last().unwrap().total);
    // The minus sign is a true minus, with no-break spaces, as French typography wants.
    assert_eq!(c.rows[0].cells[2].display(), "\u{2212}1,40\u{a0}%");
}

/// Annex T2: « Dispersion des coûts de gestion des organismes locaux autour de la moyenne
/// nationale », σ / moyenne. Three local caisses with unit costs 100, 110 and 130 €:
/// mean 113,33; deviations −13,33, −3,33, +16,67; population variance 466,67 / 3 = 155,56;
/// σ = 12,4722; σ / mean = 0,110049 → 11,00 %.
#[tokio::test]
async fn unit_cost_dispersion_by_hand() {
    let f = Fixture::new(&[
        ("C1", "CNAF", false),
        ("C2", "CNAF", false),
        ("C3", "CNAF", false),
    ]);
    f.table(
        "costs",
        "part-0.parquet",
        vec![
            ("caisse_id", text(&[Some("C1"), Some("C2"), Some("C3")])),
            ("year", ints(&[Some(2008); 3])),
            (
                "management_cost",
                floats(&[Some(1_000_000.0), Some(1_100_000.0), Some(1_300_000.0)]),
            ),
            ("benefits_amount", floats(&[Some(50_000_000.0); 3])),
            ("activity_units", floats(&[Some(10_000.0); 3])),
        ],
    );
    let out = f.compute().await;
    let catalogue = catalogue();
    let (rows, ranks) = benchmark::benchmark(&out.values, &catalogue);
    let b = rows
        .iter()
        .find(|b| b.indicator_id == "unit_cost" && b.scope == "organism:CNAF" && b.year == 2008)
        .unwrap();
    let sigma = (466.666_666_666_666_7_f64 / 3.0).sqrt();
    close(b.mean, 340.0 / 3.0);
    close(b.stddev, sigma);
    close(b.cv.unwrap(), sigma / (340.0 / 3.0));
    assert!((b.cv.unwrap() - 0.110_049).abs() < 1e-6);
    assert_eq!((b.min, b.median, b.max), (100.0, 110.0, 130.0));
    // Nearest rank (indicators-v2 §1.3): p25 = 1st of 3, p75 = ⌈2.25⌉ = 3rd.
    assert_eq!((b.p25, b.p75), (100.0, 130.0));
    // Lower is better: C1 best, C3 worst; ranks 1, 2, 3.
    assert_eq!(
        (b.best_caisse.as_deref(), b.worst_caisse.as_deref()),
        (Some("C1"), Some("C3"))
    );
    let rank = |c: &str| {
        ranks
            .iter()
            .find(|r| r.caisse_id == c && r.indicator_id == "unit_cost" && r.scope == "national")
            .unwrap()
            .rank
    };
    assert_eq!(
        (rank("C1"), rank("C2"), rank("C3")),
        (Some(1), Some(2), Some(3))
    );
    let a = tables(&out, 2008)
        .into_iter()
        .find(|t| t.key == "A")
        .unwrap();
    assert_eq!(
        row(&a, "CNAF", "Dispersion des coûts unitaires"),
        ["", "11,00 %"]
    );
    // The cost rate of the same table: 3,4 M€ / 150 M€ = 2,27 %.
    assert_eq!(
        row(&a, "CNAF", "Coût de gestion en pourcentage"),
        ["", "2,27 %"]
    );
}

#[tokio::test]
async fn cog_results_against_targets_and_multi_year_targets() {
    // Cavimac FSE in 2025 (≤ 3 jours) with a mean of 2,5 days; 2024 with 4 days.
    let f = Fixture::new(&[("CAVIMAC", "CAVIMAC", false)]);
    f.table(
        "claims",
        "part-0.parquet",
        vec![
            ("claim_id", ids("C", 3)),
            ("caisse_id", same_text("CAVIMAC", 3)),
            ("kind", same_text("FSE", 3)),
            (
                "received_date",
                dates(&[Some("2024-05-02"), Some("2025-05-02"), Some("2025-05-02")]),
            ),
            (
                "paid_date",
                dates(&[Some("2024-05-06"), Some("2025-05-04"), Some("2025-05-05")]),
            ),
            ("amount", floats(&[Some(1.0); 3])),
        ],
    );
    let out = f.compute().await;
    let t = tables(&out, 2025);
    let b = t.iter().find(|t| t.key == "B").unwrap();
    assert_eq!(
        b.columns,
        [
            "Résultats 2024",
            "Résultats 2025",
            "Objectifs 2025",
            "Objectif"
        ]
    );
    assert_eq!(
        row(
            b,
            "CAVIMAC",
            "Délai moyen de remboursement des feuilles de soins électroniques"
        ),
        ["4,00", "2,50", "≤ 3,00", "atteint"]
    );
    let e = t.iter().find(|t| t.key == "E").unwrap();
    // Years of every loaded target (the annex's CNAF T3 is of 2008); Cavimac's cells outside
    // 2023-2027 are grey.
    assert_eq!(e.columns.first().map(String::as_str), Some("2008"));
    assert_eq!(e.columns.last().map(String::as_str), Some("2027"));
    let fsp = e
        .rows
        .iter()
        .find(|r| r.organism == "CAVIMAC" && r.indicator.contains("(n°6)"))
        .unwrap();
    let at = |year: &str| &fsp.cells[e.columns.iter().position(|c| c == year).unwrap()];
    assert_eq!(*at("2019"), Cell::Grey);
    assert_eq!(plain(at("2026").display()), "≤ 6,00");
    assert_eq!(plain(at("2027").display()), "< 6,00");
}

#[tokio::test]
async fn renderings_are_deterministic_and_self_contained() {
    let f = Fixture::new(&[("A", "CNAM", false), ("B", "CNAM", true)]);
    f.table(
        "calls",
        "part-0.parquet",
        vec![
            ("call_id", ids("T", 4)),
            (
                "caisse_id",
                text(&[Some("A"), Some("A"), Some("B"), Some("B")]),
            ),
            ("arrived_at", stamps(&[Some("2024-03-04 09:00"); 4])),
            (
                "outcome",
                text(&[
                    Some("agent"),
                    Some("abandoned"),
                    Some("agent"),
                    Some("agent"),
                ]),
            ),
        ],
    );
    let out = f.compute().await;
    let catalogue = catalogue();
    let render = || {
        let mut p = parangon::publish::Publication::default();
        let assessment = parangon::assess::benchmark_only(out.values.clone(), &catalogue);
        parangon::render::derived(&mut p, &assessment, &catalogue, &[], None).unwrap();
        p.files()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<Vec<_>>()
    };
    let (first, second) = (render(), render());
    assert_eq!(
        first, second,
        "same values, same bytes (xlsx and html included)"
    );
    let get = |name: &str| {
        &first
            .iter()
            .find(|(k, _)| k == name)
            .unwrap_or_else(|| panic!("{name}"))
            .1
    };
    let xlsx = get("annex/annex.xlsx");
    assert_eq!(&xlsx[..2], b"PK");
    let html = String::from_utf8(get("annex/annex.html").clone()).unwrap();
    assert!(html.contains("<svg") && html.contains("Taux d'appels aboutis"));
    assert!(
        !html.contains("http://") && !html.contains("https://") && !html.contains("<script"),
        "no network, no script"
    );
    for name in [
        "annex/annex_a.parquet",
        "annex/annex_b.parquet",
        "annex/annex_c.parquet",
        "annex/annex_e.parquet",
        "dim_indicator/part-00000.parquet",
        "dim_caisse/part-00000.parquet",
        "benchmark/year=2024/part-00000.parquet",
        "benchmark_ranks/year=2024/part-00000.parquet",
    ] {
        assert!(first.iter().any(|(k, _)| k == name), "{name}");
    }
}

/// Tables B and E in the annex's sections (theme tags), with the objectives as the annex prints
/// them. Camieg short absence over 10 000 hours: 2016 150 (1,50 %), 2017 148 (1,48 %), 2018 147
/// (1,47 %); n°22 « Diminution annuelle de 0,02 point … » resolves to ≤ 1,48 in 2017, ≤ 1,46 in
/// 2018 (missed) and ≤ 1,44 in 2019 (from the base, without a 2019 value). CRPCEN n°39 is an
/// indicateur de suivi; Camieg n°19 a text target.
#[tokio::test]
async fn sections_monitoring_text_and_change_targets() {
    let f = Fixture::new(&[("CAMIEG", "CAMIEG", false), ("CRPCEN", "CRPCEN", false)]);
    f.table(
        "staff",
        "part-0.parquet",
        vec![
            (
                "caisse_id",
                text(&[
                    Some("CAMIEG"),
                    Some("CAMIEG"),
                    Some("CAMIEG"),
                    Some("CRPCEN"),
                ]),
            ),
            (
                "year",
                ints(&[Some(2016), Some(2017), Some(2018), Some(2018)]),
            ),
            ("etp", floats(&[Some(100.0); 4])),
            (
                "absence_hours_short",
                floats(&[Some(150.0), Some(148.0), Some(147.0), Some(100.0)]),
            ),
            ("theoretical_hours", floats(&[Some(10_000.0); 4])),
        ],
    );
    let out = f.compute().await;
    let t = tables(&out, 2018);
    let b = t.iter().find(|t| t.key == "B").unwrap();
    let words = "Diminution annuelle de 0,02 point en moyenne sur la période 2017 - 2020.";
    assert_eq!(
        row(b, "CAMIEG", "Taux d'absentéisme de courte durée"),
        [
            "1,48 %",
            "1,47 %",
            &format!("{words} → ≤ 1,46 %"),
            "non atteint"
        ]
    );
    assert_eq!(
        row(b, "CRPCEN", "Taux d'absentéisme de courte durée"),
        ["", "1,00 %", "Indicateur de suivi", ""]
    );
    assert_eq!(
        row(b, "CAMIEG", "Coût unitaire")[2],
        "Diminution annuelle de 0,5 point en moyenne sur la période 2017 - 2020."
    );
    // Sections in the annex's order: costs (1.1) before processing times (2.2) before HR.
    let sections: Vec<&str> = b.rows.iter().filter_map(|r| r.section.as_deref()).collect();
    let first = |label: &str| sections.iter().position(|s| s.starts_with(label)).unwrap();
    assert!(first("1.1") < first("2.2") && first("2.2") < first("Ressources humaines"));
    assert_eq!(b.section_start(0), Some(sections[0]));
    assert_eq!(sections.len(), b.rows.len());
    // The organism label restarts in each section.
    let hr = b
        .rows
        .iter()
        .position(|r| r.section.as_deref() == Some("Ressources humaines"))
        .unwrap();
    assert_eq!(b.labels(hr).0, b.rows[hr].organism);
    let e = t.iter().find(|t| t.key == "E").unwrap();
    let absence = e
        .rows
        .iter()
        .find(|r| r.organism == "CAMIEG" && r.indicator.contains("(n°22)"))
        .unwrap();
    let at = |year: &str| {
        plain(absence.cells[e.columns.iter().position(|c| c == year).unwrap()].display())
    };
    assert_eq!(at("2017"), format!("{words} → ≤ 1,48 %"));
    assert_eq!(at("2019"), format!("{words} → ≤ 1,44 %"));
    assert_eq!(
        absence.cells[e.columns.iter().position(|c| c == "2023").unwrap()],
        Cell::Grey
    );
    // The Parquet rendering carries the resolved threshold and the section.
    let batch = annex::table_to_batch(b);
    assert_eq!(batch.schema().field(8).name(), "section");
}
