//! COG variants (indicators.md, "COG variants to support"): computed for their organism's
//! caisses with `definition` = the organism, beside the bench value.

mod common;

use common::*;
use parangon::compute::Level::{Caisse, National, Organism};

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
