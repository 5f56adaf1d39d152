//! COG targets: transcribed faithfully (every printed snippet is found on one line of its
//! document, and the target's words on it or in the cell that follows) and checked right on
//! both sides of each comparison, equality included; the forms of indicators v2 (a previous
//! year, a base year, text, monitoring, several conditions) on computed values.

use std::path::PathBuf;

use crate::common::*;
use parangon::model::Level::{Caisse, Organism};
use parangon::model::{Objective, Op, TargetKind};

/// `../shared/seeds` beside the repository (or `$PARANGON_SEEDS`).
fn seeds() -> Option<PathBuf> {
    let dir = std::env::var_os("PARANGON_SEEDS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/seeds"));
    dir.is_dir().then_some(dir)
}

/// Whitespace of any kind (tabs, no-break spaces) folded to one space.
fn fold(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn every_target_is_printed_in_its_document() {
    let Some(seeds) = seeds() else {
        // CI always has shared/ beside the clone; a developer without it is told, not fooled.
        assert!(
            std::env::var_os("CI").is_none(),
            "../shared/seeds is missing in CI"
        );
        eprintln!("skipped: ../shared/seeds not found (set PARANGON_SEEDS)");
        return;
    };
    let catalogue = catalogue();
    assert!(
        catalogue.targets.len() > 150,
        "{} targets",
        catalogue.targets.len()
    );
    for organism in ["CAVIMAC", "CRPCEN", "CAMIEG", "CNAV"] {
        assert!(
            catalogue.targets.iter().any(|t| t.organism == organism),
            "{organism}"
        );
    }
    for t in &catalogue.targets {
        let text = std::fs::read_to_string(seeds.join(&t.document)).unwrap();
        let lines: Vec<String> = text.lines().map(fold).collect();
        let at = lines
            .iter()
            .position(|line| t.printed.iter().all(|p| line.contains(&fold(p))));
        let Some(at) = at else {
            panic!(
                "{}: {:?} not found on one line of {}",
                t.source, t.printed, t.document
            );
        };
        // The target's words: on that line (a COG table row), or in the cell printed over the
        // next lines (the annex's flattened tables).
        let cell = lines[at..lines.len().min(at + 40)].join(" ");
        assert!(
            cell.contains(&fold(&t.text)),
            "{} {}: target text {:?} not on its line {} of {} or just after",
            t.source,
            t.year,
            t.text,
            at + 1,
            t.document
        );
    }
}

#[test]
fn a_sample_of_targets_matches_the_documents() {
    let catalogue = catalogue();
    let find_opt = |org: &str, id: &str, dim: Option<&str>, year: i32| {
        catalogue.targets.iter().find(|t| {
            t.organism == org
                && t.indicator == id
                && t.dimension_value.as_deref() == dim
                && t.year == year
        })
    };
    let find = |org: &str, id: &str, dim: Option<&str>, year: i32| {
        find_opt(org, id, dim, year).unwrap_or_else(|| panic!("{org} {id} {year}"))
    };
    // Cavimac n°6: « ≤ 6 jours » 2023-2026 then « < 6 jours » in 2027.
    let t = find("CAVIMAC", "claims_fsp_delay_mean", None, 2026);
    let c = t.conditions()[0];
    assert_eq!(
        (c.op.as_str(), t.fixed(), c.op_printed),
        ("<=", Some((Op::Le, 6.0)), true)
    );
    assert_eq!(t.text, "≤ 6 jours");
    let t = find("CAVIMAC", "claims_fsp_delay_mean", None, 2027);
    assert_eq!(
        (t.fixed(), t.text.as_str()),
        (Some((Op::Lt, 6.0)), "< 6 jours")
    );
    // Cavimac n°8 checks its own variant (IJ received in the denominator).
    assert_eq!(
        find("CAVIMAC", "claims_ij_delay_mean", None, 2025).definition,
        "CAVIMAC"
    );
    assert_eq!(
        find("CAVIMAC", "claims_ij_delay_mean", None, 2025).fixed(),
        Some((Op::Le, 12.0))
    );
    // Cavimac n°2 prints no operator: ≥ from the direction, and the note says so.
    let t = find("CAVIMAC", "pensions_dp_paid_within_60d", None, 2027);
    assert_eq!(
        (t.fixed(), t.conditions()[0].op_printed),
        (Some((Op::Ge, 95.0)), false)
    );
    assert!(t.note.as_deref().unwrap().contains("No operator printed"));
    // Cavimac n°16, per branch: ≤ 1,05 % in 2025.
    assert_eq!(
        find("CAVIMAC", "controls_tif", Some("maladie"), 2025).fixed(),
        Some((Op::Le, 1.05))
    );
    // Cavimac n°27: strict « > 80% ».
    assert_eq!(
        find("CAVIMAC", "training_rate", None, 2024).fixed(),
        Some((Op::Gt, 80.0))
    );
    // Satisfaction « globale » binds to the channel `global`, not to all channels pooled:
    // Cavimac n°9, Cnav 1.1, Camieg n°13 (indicators-v2 §2).
    for (org, year) in [("CAVIMAC", 2024), ("CNAV", 2020), ("CAMIEG", 2018)] {
        assert!(
            find_opt(org, "satisfaction_rate", Some("global"), year).is_some(),
            "{org}"
        );
        assert!(
            find_opt(org, "satisfaction_rate", None, year).is_none(),
            "{org}"
        );
    }
    // Camieg n°8 is its variant's target (care date, without tiers payant).
    assert_eq!(
        find("CAMIEG", "claims_fse_delay_p90", None, 2018).definition,
        "CAMIEG"
    );
    // Cnav 11.1: « < ou = à 1,087 % » in 2020.
    let t = find("CNAV", "absenteeism_short_rate", None, 2020);
    assert_eq!(t.fixed(), Some((Op::Le, 1.087)));
    // CRPCEN n°15: 2017 and 2018 print words, no value: text targets.
    let t = find("CRPCEN", "pensions_dp_paid_within_60d", None, 2017);
    assert_eq!(
        (&t.objective, t.text.as_str()),
        (
            &Objective::Text,
            "Évolution de la cible à la livraison du nouvel applicatif"
        )
    );
    // Camieg n°22: « Diminution annuelle de 0,02 point en moyenne sur la période 2017 - 2020 ».
    let t = find("CAMIEG", "absenteeism_short_rate", None, 2019);
    assert_eq!(t.kind(), TargetKind::BaseYear);
    assert_eq!(t.conditions()[0].to_string(), "<= base(2016) - 0.02 pt/yr");
    assert_eq!(t.period, (2017, 2020));
    // Camieg n°19: « point » of a cost: text.
    assert_eq!(
        find("CAMIEG", "unit_cost", None, 2020).kind(),
        TargetKind::Text
    );
    // CRPCEN monitoring rows (« Suivi », no target cell): n°14 on the bench retraite breakdown.
    let t = find("CRPCEN", "controls_tif", Some("retraite"), 2018);
    assert_eq!(
        (t.kind(), t.definition.as_str(), t.text.as_str()),
        (TargetKind::Monitoring, "bench", "Suivi")
    );
    assert_eq!(
        find("CRPCEN", "absenteeism_short_rate", None, 2016).number,
        "39"
    );
    // The annex: CNAV U2 TIF relative to 2008, CNAF productivity an indicateur de suivi.
    let t = find("CNAV", "controls_tif", Some("retraite"), 2011);
    assert_eq!(t.conditions()[0].to_string(), "<= base(2008) + 0.1 pt");
    assert_eq!(t.text, "Résultat 2008 + 0,1 point");
    assert_eq!(t.period, (2009, 2013));
    let t = find("CNAF", "productivity", None, 2008);
    assert_eq!(
        (t.kind(), t.text.as_str(), t.period),
        (TargetKind::Monitoring, "ND(5)", (2008, 2008))
    );
}

/// Cavimac FSE paid with delays of exactly 3 days in 2026 and in 2027.
#[tokio::test]
async fn target_met_at_equality_le_versus_lt() {
    let f = Fixture::new(&[("CAVIMAC", "CAVIMAC", false)]);
    f.table(
        "claims",
        "part-0.parquet",
        vec![
            ("claim_id", ids("C", 4)),
            ("caisse_id", same_text("CAVIMAC", 4)),
            ("kind", same_text("FSE", 4)),
            (
                "received_date",
                dates(&[
                    Some("2026-03-02"),
                    Some("2026-03-02"),
                    Some("2027-03-01"),
                    Some("2027-03-01"),
                ]),
            ),
            // 2 + 4 = 6 days over 2 claims: a mean of exactly 3.
            (
                "paid_date",
                dates(&[
                    Some("2026-03-04"),
                    Some("2026-03-06"),
                    Some("2027-03-03"),
                    Some("2027-03-05"),
                ]),
            ),
            ("amount", floats(&[Some(1.0); 4])),
        ],
    );
    let out = f.compute().await;
    let cell = |level, year: &str| {
        find(
            &out,
            "claims_fse_delay_mean",
            "bench",
            level,
            "CAVIMAC",
            None,
            year,
        )
        .unwrap()
    };
    // 2026: ≤ 3, a mean of 3 meets it.
    let c = cell(Caisse, "2026");
    assert_eq!(
        (c.value, c.target_op.as_deref(), c.target, c.target_met),
        (3.0, Some("<="), Some(3.0), Some(true))
    );
    // 2027: < 3, the same mean misses it.
    let c = cell(Organism, "2027");
    assert_eq!(
        (c.value, c.target_op.as_deref(), c.target_met),
        (3.0, Some("<"), Some(false))
    );
    // Monthly values carry no target (the COG targets are yearly).
    let month = find(
        &out,
        "claims_fse_delay_mean",
        "bench",
        Caisse,
        "CAVIMAC",
        None,
        "2026-03",
    )
    .unwrap();
    assert_eq!((month.target_op.as_ref(), month.target_met), (None, None));
    // No target for the P90 at Cavimac: null, not false.
    let p90 = find(
        &out,
        "claims_fse_delay_p90",
        "bench",
        Caisse,
        "CAVIMAC",
        None,
        "2026",
    )
    .unwrap();
    assert_eq!(p90.target_met, None);
}

/// Cavimac calls: 92 % reached in 2026 (≥ 92 met at equality), 91 % in 2027 (missed).
#[tokio::test]
async fn target_met_at_equality_ge() {
    let f = Fixture::new(&[("CAVIMAC", "CAVIMAC", false)]);
    let mut outcome = Vec::new();
    let mut when = Vec::new();
    for (year, reached) in [("2026", 92), ("2027", 91)] {
        for i in 0..100 {
            outcome.push(Some(if i < reached { "agent" } else { "abandoned" }));
            when.push(Some(if year == "2026" {
                "2026-06-01 10:00"
            } else {
                "2027-06-01 10:00"
            }));
        }
    }
    f.table(
        "calls",
        "part-0.parquet",
        vec![
            ("call_id", ids("T", 200)),
            ("caisse_id", same_text("CAVIMAC", 200)),
            ("arrived_at", stamps(&when)),
            ("outcome", text(&outcome)),
        ],
    );
    let out = f.compute().await;
    let met = |year: &str| {
        find(
            &out,
            "calls_reached_rate",
            "bench",
            Caisse,
            "CAVIMAC",
            None,
            year,
        )
        .unwrap()
        .target_met
    };
    assert_eq!(met("2026"), Some(true));
    assert_eq!(met("2027"), Some(false));
}

/// Targets by breakdown value: Cavimac n°16 (TIF maladie ≤ 1,05 % in 2025) and n°17
/// (retraite, 2 % with no operator printed: ≤ from the direction).
#[tokio::test]
async fn targets_by_branch() {
    let f = Fixture::new(&[("CAVIMAC", "CAVIMAC", false)]);
    f.table(
        "controls",
        "part-0.parquet",
        vec![
            ("control_id", ids("Q", 2)),
            ("caisse_id", same_text("CAVIMAC", 2)),
            ("branch", text(&[Some("maladie"), Some("retraite")])),
            (
                "control_date",
                dates(&[Some("2025-05-05"), Some("2025-05-05")]),
            ),
            (
                "amount_controlled",
                floats(&[Some(10_000.0), Some(1_000.0)]),
            ),
            ("error_amount", floats(&[Some(105.0), Some(20.01)])),
            ("has_financial_anomaly", bools(&[Some(true), Some(true)])),
        ],
    );
    let out = f.compute().await;
    let tif = |branch| {
        find(
            &out,
            "controls_tif",
            "bench",
            Caisse,
            "CAVIMAC",
            branch,
            "2025",
        )
        .unwrap()
    };
    assert_eq!(
        (tif(Some("maladie")).value, tif(Some("maladie")).target_met),
        (1.05, Some(true))
    );
    let retraite = tif(Some("retraite"));
    assert_eq!(
        (retraite.target_op.as_deref(), retraite.target_met),
        (Some("<="), Some(false))
    );
    // The whole (both branches) has no target of its own.
    assert_eq!(tif(None).target_met, None);
}

/// Camieg n°22, « Diminution annuelle de 0,02 point en moyenne sur la période 2017 - 2020 »,
/// read `<= base(2016) - 0.02 pt/yr`. Short absence hours over 10 000 theoretical hours:
/// 2016 150 → 1,50 %; 2017 148 → 1,48 %, threshold 1,50 − 0,02 = 1,48: met at equality;
/// 2018 147 → 1,47 %, threshold 1,50 − 2 × 0,02 = 1,46: missed; 2019 140 → 1,40 %, threshold
/// 1,50 − 3 × 0,02 = 1,44: met.
#[tokio::test]
async fn base_year_per_year_on_computed_values() {
    let f = Fixture::new(&[("CAMIEG", "CAMIEG", false)]);
    f.table(
        "staff",
        "part-0.parquet",
        vec![
            ("caisse_id", same_text("CAMIEG", 4)),
            (
                "year",
                ints(&[Some(2016), Some(2017), Some(2018), Some(2019)]),
            ),
            ("etp", floats(&[Some(100.0); 4])),
            (
                "absence_hours_short",
                floats(&[Some(150.0), Some(148.0), Some(147.0), Some(140.0)]),
            ),
            ("theoretical_hours", floats(&[Some(10_000.0); 4])),
        ],
    );
    let out = f.compute().await;
    let at = |level, year: &str| {
        find(
            &out,
            "absenteeism_short_rate",
            "bench",
            level,
            "CAMIEG",
            None,
            year,
        )
        .unwrap()
    };
    let words = "Diminution annuelle de 0,02 point en moyenne sur la période 2017 - 2020.";
    for (year, threshold, met) in [
        ("2017", 1.48, true),
        ("2018", 1.46, false),
        ("2019", 1.44, true),
    ] {
        for level in [Caisse, Organism] {
            let v = at(level, year);
            assert_eq!(
                (
                    v.target_op.as_deref(),
                    v.target_met,
                    v.target_kind.as_deref(),
                    v.target_text.as_deref()
                ),
                (Some("<="), Some(met), Some("base_year"), Some(words)),
                "{year} {level:?}"
            );
            close(v.target.unwrap(), threshold);
        }
    }
    // 2016, before the COG, has no target.
    assert_eq!(at(Caisse, "2016").target_kind, None);
}

/// The same target without the base year: unresolved, the words kept.
#[tokio::test]
async fn base_year_missing_leaves_the_target_unresolved() {
    let f = Fixture::new(&[("CAMIEG", "CAMIEG", false)]);
    f.table(
        "staff",
        "part-0.parquet",
        vec![
            ("caisse_id", same_text("CAMIEG", 1)),
            ("year", ints(&[Some(2017)])),
            ("etp", floats(&[Some(100.0)])),
            ("absence_hours_short", floats(&[Some(148.0)])),
            ("theoretical_hours", floats(&[Some(10_000.0)])),
        ],
    );
    let out = f.compute().await;
    let v = find(
        &out,
        "absenteeism_short_rate",
        "bench",
        Caisse,
        "CAMIEG",
        None,
        "2017",
    )
    .unwrap();
    assert_eq!(
        (
            v.target_op.as_deref(),
            v.target,
            v.target_met,
            v.target_kind.as_deref()
        ),
        (Some("<="), None, None, Some("base_year"))
    );
    assert!(
        v.target_text
            .as_deref()
            .unwrap()
            .starts_with("Diminution annuelle")
    );
}

/// The annex's CNAV U2 « Taux d'incidence financière des erreurs », « Résultat 2008 – 0,25
/// point » in 2009 and « Résultat 2008 + 0,1 point » in 2011. TIF retraite 2008: 10 € of errors
/// on 1 000 € controlled = 1,00 %; 2009: 7,5 / 1 000 = 0,75 % against 1,00 − 0,25 = 0,75 (met);
/// 2011: 12 / 1 000 = 1,20 % against 1,00 + 0,1 = 1,10 (missed). CRPCEN's monitoring row on the
/// same breakdown (n°14, 2016): kind `monitoring`, no operator, no threshold, no verdict.
#[tokio::test]
async fn annex_change_targets_and_monitoring() {
    let f = Fixture::new(&[("CARSAT-X", "CNAV", false), ("CRPCEN", "CRPCEN", false)]);
    f.table(
        "controls",
        "part-0.parquet",
        vec![
            ("control_id", ids("Q", 4)),
            (
                "caisse_id",
                text(&[
                    Some("CARSAT-X"),
                    Some("CARSAT-X"),
                    Some("CARSAT-X"),
                    Some("CRPCEN"),
                ]),
            ),
            ("branch", same_text("retraite", 4)),
            (
                "control_date",
                dates(&[
                    Some("2008-05-05"),
                    Some("2009-05-05"),
                    Some("2011-05-05"),
                    Some("2016-05-05"),
                ]),
            ),
            ("amount_controlled", floats(&[Some(1_000.0); 4])),
            (
                "error_amount",
                floats(&[Some(10.0), Some(7.5), Some(12.0), Some(3.0)]),
            ),
            ("has_financial_anomaly", bools(&[Some(true); 4])),
        ],
    );
    let out = f.compute().await;
    let tif = |level, entity: &str, year: &str| {
        find(
            &out,
            "controls_tif",
            "bench",
            level,
            entity,
            Some("retraite"),
            year,
        )
        .unwrap()
    };
    let v = tif(Organism, "CNAV", "2009");
    assert_eq!(
        (
            v.target_op.as_deref(),
            v.target_met,
            v.target_kind.as_deref(),
            v.target_text.as_deref()
        ),
        (
            Some("<="),
            Some(true),
            Some("base_year"),
            Some("Résultat 2008 – 0,25 point")
        )
    );
    close(v.target.unwrap(), 0.75);
    let v = tif(Caisse, "CARSAT-X", "2011");
    close(v.target.unwrap(), 1.10);
    assert_eq!(v.target_met, Some(false));
    // 2010 has no value: nothing to assess. 2008 has no target.
    assert!(
        find(
            &out,
            "controls_tif",
            "bench",
            Caisse,
            "CARSAT-X",
            Some("retraite"),
            "2010"
        )
        .is_none()
    );
    assert_eq!(tif(Caisse, "CARSAT-X", "2008").target_kind, None);
    let m = tif(Caisse, "CRPCEN", "2016");
    assert_eq!(
        (
            m.target_op.as_deref(),
            m.target,
            m.target_met,
            m.target_kind.as_deref(),
            m.target_text.as_deref()
        ),
        (None, None, None, Some("monitoring"), Some("Suivi"))
    );
}

/// Cavimac n°9 « Taux de satisfaction globale » binds to the channel `global`: 2 satisfied of 2
/// `global` answers (100 % ≥ 91 %), while all channels pooled (2 of 4, 50 %) carry no target.
#[tokio::test]
async fn satisfaction_globale_binds_to_the_global_channel() {
    let f = Fixture::new(&[("CAVIMAC", "CAVIMAC", false)]);
    f.table(
        "satisfaction",
        "part-0.parquet",
        vec![
            ("response_id", ids("S", 4)),
            ("caisse_id", same_text("CAVIMAC", 4)),
            ("survey_date", dates(&[Some("2024-05-02"); 4])),
            (
                "channel",
                text(&[Some("global"), Some("global"), Some("email"), Some("email")]),
            ),
            ("score", ints(&[Some(4), Some(3), Some(1), Some(2)])),
        ],
    );
    let out = f.compute().await;
    let at = |channel| {
        find(
            &out,
            "satisfaction_rate",
            "bench",
            Caisse,
            "CAVIMAC",
            channel,
            "2024",
        )
        .unwrap()
    };
    let global = at(Some("global"));
    assert_eq!(
        (
            global.value,
            global.target,
            global.target_met,
            global.target_text.as_deref()
        ),
        (100.0, Some(91.0), Some(true), Some("91%"))
    );
    assert_eq!(
        (at(None).value, at(None).target_kind.as_deref()),
        (50.0, None)
    );
    // n°10 binds to each contact channel: email 0 of 2 against 90 %.
    assert_eq!(at(Some("email")).target_met, Some(false));
}
