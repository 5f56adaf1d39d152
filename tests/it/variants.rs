//! COG variants (indicators.md, "COG variants to support"): computed for their organism's
//! caisses with `definition` = the organism, beside the bench value.

use crate::common::*;
use parangon::model::Level::{Caisse, National, Organism};

type Claim = (
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    Option<&'static str>,
    Option<bool>,
);

fn claims(f: &Fixture, rows: &[Claim]) {
    let col = |g: fn(&Claim) -> Option<&'static str>| rows.iter().map(g).collect::<Vec<_>>();
    f.table(
        "claims",
        "part-0.parquet",
        vec![
            ("claim_id", ids("C", rows.len())),
            ("caisse_id", text(&col(|r| Some(r.0)))),
            ("kind", text(&col(|r| Some(r.1)))),
            ("care_date", dates(&col(|r| r.2))),
            ("received_date", dates(&col(|r| Some(r.3)))),
            ("paid_date", dates(&col(|r| r.4))),
            ("amount", floats(&vec![Some(1.0); rows.len()])),
            (
                "tiers_payant",
                bools(&rows.iter().map(|r| r.5).collect::<Vec<_>>()),
            ),
        ],
    );
}

#[tokio::test]
async fn camieg_fse_p90_from_care_date_without_tiers_payant_weighted_by_month() {
    // Camieg COG n°8: delay from the care date (fait générateur), FSE hors tiers payant, yearly
    // value = monthly P90s weighted by the monthly number of claims.
    let f = Fixture::new(&[("CAMIEG", "CAMIEG", false)]);
    claims(
        &f,
        &[
            (
                "CAMIEG",
                "FSE",
                Some("2024-01-01"),
                "2024-01-03",
                Some("2024-01-05"),
                Some(false),
            ), // care delay 4
            (
                "CAMIEG",
                "FSE",
                Some("2024-01-02"),
                "2024-01-03",
                Some("2024-01-12"),
                Some(false),
            ), // 10
            (
                "CAMIEG",
                "FSE",
                Some("2024-01-01"),
                "2024-01-02",
                Some("2024-01-04"),
                Some(true),
            ), // tiers payant: out
            (
                "CAMIEG",
                "FSE",
                Some("2024-02-01"),
                "2024-02-02",
                Some("2024-02-03"),
                None,
            ), // 2 (null = not TP)
            (
                "CAMIEG",
                "FSE",
                None,
                "2024-02-02",
                Some("2024-02-03"),
                Some(false),
            ), // no care date: out
        ],
    );
    let out = f.compute().await;
    let variant = |level, period: &str| {
        find(
            &out,
            "claims_fse_delay_p90",
            "CAMIEG",
            level,
            "CAMIEG",
            None,
            period,
        )
        .map(|v| v.value)
    };
    close(variant(Caisse, "2024-01").unwrap(), 10.0); // {4, 10}: rank 2
    close(variant(Caisse, "2024-02").unwrap(), 2.0);
    close(variant(Caisse, "2024").unwrap(), (10.0 * 2.0 + 2.0) / 3.0);
    close(variant(Organism, "2024").unwrap(), 22.0 / 3.0);
    // No national value for a variant; the bench value stands beside it.
    assert!(
        find(
            &out,
            "claims_fse_delay_p90",
            "CAMIEG",
            National,
            "",
            None,
            "2024"
        )
        .is_none()
    );
    // Bench: from reception, all FSE: January {2, 9, 2} → 9; year {2, 9, 2, 1, 1} → rank 5 → 9.
    close(
        value(&out, "claims_fse_delay_p90", Caisse, "CAMIEG", "2024-01"),
        9.0,
    );
    close(
        value(&out, "claims_fse_delay_p90", Caisse, "CAMIEG", "2024"),
        9.0,
    );
}

#[tokio::test]
async fn cavimac_ij_mean_over_claims_received() {
    // Cavimac COG n°8: Σ delays of the IJ paid in the period / number of IJ received in it.
    let f = Fixture::new(&[("CAVIMAC", "CAVIMAC", false), ("CPAM-A", "CNAM", false)]);
    claims(
        &f,
        &[
            (
                "CAVIMAC",
                "IJ",
                None,
                "2024-01-10",
                Some("2024-01-20"),
                None,
            ), // 10, paid Jan
            (
                "CAVIMAC",
                "IJ",
                None,
                "2024-01-15",
                Some("2024-02-05"),
                None,
            ), // 21, paid Feb
            ("CAVIMAC", "IJ", None, "2024-01-20", None, None), // unpaid
            (
                "CAVIMAC",
                "IJ",
                None,
                "2024-02-01",
                Some("2024-02-11"),
                None,
            ), // 10, paid Feb
            ("CPAM-A", "IJ", None, "2024-01-01", Some("2024-01-11"), None), // another organism
        ],
    );
    let out = f.compute().await;
    let variant = |period: &str| {
        find(
            &out,
            "claims_ij_delay_mean",
            "CAVIMAC",
            Caisse,
            "CAVIMAC",
            None,
            period,
        )
        .unwrap()
    };
    close(variant("2024-01").value, 10.0 / 3.0);
    close(variant("2024-02").value, 31.0);
    close(variant("2024").value, 41.0 / 4.0);
    assert_eq!(
        (variant("2024").numerator, variant("2024").denominator),
        (Some(41.0), Some(4.0))
    );
    // The bench keeps the IJ paid: 41 / 3.
    close(
        value(&out, "claims_ij_delay_mean", Caisse, "CAVIMAC", "2024"),
        41.0 / 3.0,
    );
    // The variant is computed for Cavimac's caisses only.
    assert!(
        find(
            &out,
            "claims_ij_delay_mean",
            "CAVIMAC",
            Caisse,
            "CPAM-A",
            None,
            "2024"
        )
        .is_none()
    );
}

#[tokio::test]
async fn crpcen_ij_mean_of_monthly_means() {
    // CRPCEN COG n°3/4: « Moyenne des résultats mensuels ».
    let f = Fixture::new(&[("CRPCEN", "CRPCEN", false)]);
    claims(
        &f,
        &[
            ("CRPCEN", "IJ", None, "2024-01-01", Some("2024-01-11"), None), // 10
            ("CRPCEN", "IJ", None, "2024-01-01", Some("2024-01-21"), None), // 20
            ("CRPCEN", "IJ", None, "2024-01-15", Some("2024-02-14"), None), // 30, paid Feb
        ],
    );
    let out = f.compute().await;
    let variant = find(
        &out,
        "claims_ij_delay_mean",
        "CRPCEN",
        Caisse,
        "CRPCEN",
        None,
        "2024",
    )
    .unwrap();
    close(variant.value, (15.0 + 30.0) / 2.0);
    assert_eq!((variant.numerator, variant.n_records), (None, 3));
    close(
        value(&out, "claims_ij_delay_mean", Caisse, "CRPCEN", "2024"),
        20.0,
    );
}

#[tokio::test]
async fn cnav_online_share_of_own_right_applications_5_1() {
    // Cnav COG 2018-2022 5.1: « Taux de demandes de retraite en ligne déposées en ligne (droits
    // propres) ». Own right: 1 online of 2 → 50 %; the bench counts all applications: 2 of 3.
    let f = Fixture::new(&[("CARSAT-X", "CNAV", false)]);
    f.table(
        "pensions",
        "part-0.parquet",
        vec![
            ("pension_id", ids("P", 3)),
            ("caisse_id", same_text("CARSAT-X", 3)),
            (
                "right_type",
                text(&[
                    Some("droit_propre"),
                    Some("droit_propre"),
                    Some("droit_derive"),
                ]),
            ),
            ("filed_date", dates(&[Some("2021-03-01"); 3])),
            ("effective_date", dates(&[Some("2021-07-01"); 3])),
            (
                "channel",
                text(&[Some("online"), Some("paper"), Some("online")]),
            ),
        ],
    );
    let out = f.compute().await;
    let variant = find(
        &out,
        "pensions_online_share",
        "CNAV",
        Caisse,
        "CARSAT-X",
        None,
        "2021",
    )
    .unwrap();
    close(variant.value, 50.0);
    close(
        value(&out, "pensions_online_share", Caisse, "CARSAT-X", "2021"),
        200.0 / 3.0,
    );
    // Its 2021 target (≥ 50 %, n°5.1) is met at equality.
    assert_eq!(
        (variant.target, variant.target_met),
        (Some(50.0), Some(true))
    );
}

#[tokio::test]
async fn crpcen_fse_p90_from_the_care_date_2() {
    // CRPCEN COG 2016-2019 n°2: « Nombre de jours entre la date du fait générateur et la date de
    // mandatement … (selon règle 9e décile) ».
    let f = Fixture::new(&[("CRPCEN", "CRPCEN", false)]);
    claims(
        &f,
        &[
            (
                "CRPCEN",
                "FSE",
                Some("2018-01-01"),
                "2018-01-05",
                Some("2018-01-10"),
                Some(true),
            ), // care 9, received 5
            (
                "CRPCEN",
                "FSE",
                Some("2018-01-02"),
                "2018-01-03",
                Some("2018-01-04"),
                Some(false),
            ), // care 2, received 1
        ],
    );
    let out = f.compute().await;
    let variant = find(
        &out,
        "claims_fse_delay_p90",
        "CRPCEN",
        Caisse,
        "CRPCEN",
        None,
        "2018",
    )
    .unwrap();
    close(variant.value, 9.0); // {2, 9}: rank 2
    close(
        value(&out, "claims_fse_delay_p90", Caisse, "CRPCEN", "2018"),
        5.0,
    ); // {1, 5}
    // Target « ≤ 4 jours » (n°2) is missed.
    assert_eq!(
        (variant.target_op.as_deref(), variant.target_met),
        (Some("<="), Some(false))
    );
}

#[tokio::test]
async fn cavimac_iql_by_file_type_24() {
    // Cavimac COG 2023-2027 n°24: IQL of the IJ files of the maladie branch.
    let f = Fixture::new(&[("CAVIMAC", "CAVIMAC", false)]);
    f.table(
        "controls",
        "part-0.parquet",
        vec![
            ("control_id", ids("Q", 4)),
            ("caisse_id", same_text("CAVIMAC", 4)),
            (
                "branch",
                text(&[
                    Some("maladie"),
                    Some("maladie"),
                    Some("maladie"),
                    Some("retraite"),
                ]),
            ),
            (
                "file_type",
                text(&[Some("IJ"), Some("IJ"), Some("C2S"), Some("droit_propre")]),
            ),
            ("control_date", dates(&[Some("2024-04-02"); 4])),
            ("amount_controlled", floats(&[Some(100.0); 4])),
            ("error_amount", floats(&[Some(0.0); 4])),
            (
                "has_financial_anomaly",
                bools(&[Some(true), Some(false), Some(true), Some(true)]),
            ),
        ],
    );
    let out = f.compute().await;
    let at = |file_type: Option<&str>| {
        find(
            &out,
            "controls_iql",
            "CAVIMAC",
            Caisse,
            "CAVIMAC",
            file_type,
            "2024",
        )
        .unwrap()
    };
    close(at(Some("IJ")).value, 50.0);
    close(at(Some("C2S")).value, 100.0);
    close(at(None).value, 200.0 / 3.0); // retraite is out of the variant
    assert_eq!(at(Some("IJ")).dimension.as_deref(), Some("file_type"));
    // 2024 target of n°24: ≤ 5,50 % → missed.
    assert_eq!(
        (at(Some("IJ")).target, at(Some("IJ")).target_met),
        (Some(5.5), Some(false))
    );
    // The bench (by branch) keeps its own targets: n°18 maladie ≤ 2,8 % in 2024.
    let bench = find(
        &out,
        "controls_iql",
        "bench",
        Caisse,
        "CAVIMAC",
        Some("maladie"),
        "2024",
    )
    .unwrap();
    assert_eq!((bench.target, bench.target_met), (Some(2.8), Some(false)));
}
