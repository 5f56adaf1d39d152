//! Staff, costs, controls, overpayments, contributions and satisfaction indicators, on
//! hand-made fixtures with values computed by hand.

use crate::common::*;
use parangon::model::Level::{Caisse, National, Organism};

/// A, B, D: CNAM; C: Cavimac. B has no training count and no activity volume; D has costs but
/// no staff row.
fn yearly_fixture() -> Fixture {
    let f = Fixture::new(&[
        ("A", "CNAM", false),
        ("B", "CNAM", false),
        ("C", "CAVIMAC", false),
        ("D", "CNAM", false),
    ]);
    f.table(
        "staff",
        "2024.parquet",
        vec![
            ("caisse_id", text(&[Some("A"), Some("B"), Some("C")])),
            ("year", ints(&[Some(2024), Some(2024), Some(2024)])),
            ("etp", floats(&[Some(100.0), Some(50.5), Some(10.0)])),
            ("trained_headcount", ints(&[Some(80), None, Some(12)])),
            (
                "absence_hours_short",
                floats(&[Some(1_000.0), Some(500.0), Some(300.0)]),
            ),
            (
                "theoretical_hours",
                floats(&[Some(160_000.0), Some(80_000.0), Some(16_000.0)]),
            ),
        ],
    );
    f.table(
        "costs",
        "2024.parquet",
        vec![
            (
                "caisse_id",
                text(&[Some("A"), Some("B"), Some("C"), Some("D")]),
            ),
            ("year", ints(&[Some(2024); 4])),
            (
                "management_cost",
                floats(&[
                    Some(1_000_000.0),
                    Some(600_000.0),
                    Some(100_000.0),
                    Some(200_000.0),
                ]),
            ),
            (
                "benefits_amount",
                floats(&[
                    Some(20_000_000.0),
                    Some(10_000_000.0),
                    Some(5_000_000.0),
                    Some(1_000_000.0),
                ]),
            ),
            (
                "activity_units",
                floats(&[Some(50_000.0), None, Some(4_000.0), Some(10_000.0)]),
            ),
        ],
    );
    f
}

#[tokio::test]
async fn staff_etp_annex_effectifs() {
    let out = yearly_fixture().compute().await;
    close(value(&out, "staff_etp", Caisse, "A", "2024"), 100.0);
    close(value(&out, "staff_etp", Organism, "CNAM", "2024"), 150.5);
    close(value(&out, "staff_etp", National, "", "2024"), 160.5);
    // Yearly tables have yearly values only.
    assert!(
        out.values
            .iter()
            .filter(|v| v.indicator_id == "staff_etp")
            .all(|v| v.month.is_none())
    );
}

#[tokio::test]
async fn training_rate_cavimac_27() {
    let out = yearly_fixture().compute().await;
    close(value(&out, "training_rate", Caisse, "A", "2024"), 80.0);
    // A headcount over ETP can exceed 100 % (Cavimac n°27 as printed).
    close(value(&out, "training_rate", Caisse, "C", "2024"), 120.0);
    // B (no training count) is out of both sides: 80 / 100, not 80 / 150.5.
    close(value(&out, "training_rate", Organism, "CNAM", "2024"), 80.0);
    close(
        value(&out, "training_rate", National, "", "2024"),
        9_200.0 / 110.0,
    );
}

#[tokio::test]
async fn absenteeism_short_rate_cavimac_28() {
    let out = yearly_fixture().compute().await;
    close(
        value(&out, "absenteeism_short_rate", Organism, "CNAM", "2024"),
        1_500.0 / 240_000.0 * 100.0,
    );
}

#[tokio::test]
async fn management_cost_rate_and_unit_cost_annex() {
    let out = yearly_fixture().compute().await;
    close(
        value(&out, "management_cost_rate", Caisse, "A", "2024"),
        5.0,
    );
    close(
        value(&out, "management_cost_rate", Organism, "CNAM", "2024"),
        180.0 / 31.0,
    );
    close(value(&out, "unit_cost", Caisse, "A", "2024"), 20.0);
    // B has no activity volume: left out of both sides.
    close(
        value(&out, "unit_cost", Organism, "CNAM", "2024"),
        1_200_000.0 / 60_000.0,
    );
    close(
        value(&out, "unit_cost", National, "", "2024"),
        1_300_000.0 / 64_000.0,
    );
    assert!(find(&out, "unit_cost", "bench", Caisse, "B", None, "2024").is_none());
}

#[tokio::test]
async fn productivity_joins_costs_and_staff() {
    let out = yearly_fixture().compute().await;
    close(value(&out, "productivity", Caisse, "A", "2024"), 500.0);
    close(value(&out, "productivity", Caisse, "C", "2024"), 400.0);
    // D has no staff row, B no activity: CNAM = A alone.
    close(value(&out, "productivity", Organism, "CNAM", "2024"), 500.0);
    close(
        value(&out, "productivity", National, "", "2024"),
        54_000.0 / 110.0,
    );
    assert!(find(&out, "productivity", "bench", Caisse, "D", None, "2024").is_none());
    let cell = find(&out, "productivity", "bench", National, "", None, "2024").unwrap();
    assert_eq!(
        (cell.numerator, cell.denominator, cell.n_records),
        (Some(54_000.0), Some(110.0), 2)
    );
}

#[tokio::test]
async fn controls_tif_iql_by_branch_cavimac_16_to_19() {
    let f = Fixture::new(&[("A", "CNAM", false)]);
    f.table(
        "controls",
        "part-0.parquet",
        vec![
            ("control_id", ids("Q", 4)),
            ("caisse_id", same_text("A", 4)),
            (
                "branch",
                text(&[
                    Some("maladie"),
                    Some("maladie"),
                    Some("maladie"),
                    Some("retraite"),
                ]),
            ),
            ("control_date", dates(&[Some("2024-03-01"); 4])),
            (
                "amount_controlled",
                floats(&[Some(1_000.0), Some(1_000.0), Some(2_000.0), Some(500.0)]),
            ),
            (
                "error_amount",
                floats(&[Some(10.0), Some(0.0), Some(30.0), Some(25.0)]),
            ),
            (
                "has_financial_anomaly",
                bools(&[Some(true), Some(false), Some(true), Some(true)]),
            ),
        ],
    );
    let out = f.compute().await;
    let at = |id, branch: Option<&str>| {
        find(&out, id, "bench", Caisse, "A", branch, "2024-03")
            .unwrap()
            .value
    };
    close(at("controls_tif", Some("maladie")), 1.0); // 40 / 4 000
    close(at("controls_tif", Some("retraite")), 5.0); // 25 / 500
    close(at("controls_tif", None), 6_500.0 / 4_500.0);
    close(at("controls_iql", Some("maladie")), 200.0 / 3.0);
    close(at("controls_iql", None), 75.0);
}

#[tokio::test]
async fn overpayments_recovery_and_fraud_cavimac_20_22() {
    let f = Fixture::new(&[("A", "CNAM", false)]);
    f.table(
        "overpayments",
        "part-0.parquet",
        vec![
            ("overpayment_id", ids("I", 3)),
            ("caisse_id", same_text("A", 3)),
            ("branch", same_text("maladie", 3)),
            (
                "detected_date",
                dates(&[Some("2024-02-01"), Some("2024-02-10"), Some("2024-03-05")]),
            ),
            (
                "amount",
                floats(&[Some(1_000.0), Some(500.0), Some(3_000.25)]),
            ),
            (
                "recovered_amount",
                floats(&[Some(900.0), Some(500.0), Some(0.0)]),
            ),
            ("fraudulent", bools(&[Some(false), Some(false), Some(true)])),
        ],
    );
    let out = f.compute().await;
    // Non-fraudulent only: 1 400 / 1 500.
    close(
        value(&out, "overpayments_recovery_rate", Caisse, "A", "2024"),
        1_400.0 / 15.0,
    );
    close(
        value(&out, "fraud_prejudice_detected", Caisse, "A", "2024"),
        3_000.25,
    );
    close(
        value(&out, "fraud_prejudice_detected", Caisse, "A", "2024-03"),
        3_000.25,
    );
    assert!(
        find(
            &out,
            "fraud_prejudice_detected",
            "bench",
            Caisse,
            "A",
            None,
            "2024-02"
        )
        .is_none()
    );
}

#[tokio::test]
async fn contributions_remaining_rate_cavimac_15() {
    let f = Fixture::new(&[("C", "CAVIMAC", false)]);
    f.table(
        "contributions",
        "part-0.parquet",
        vec![
            ("caisse_id", text(&[Some("C")])),
            ("year", ints(&[Some(2024)])),
            ("amount_due", floats(&[Some(1_000_000.0)])),
            ("amount_collected", floats(&[Some(990_000.0)])),
        ],
    );
    let out = f.compute().await;
    close(
        value(&out, "contributions_remaining_rate", Caisse, "C", "2024"),
        1.0,
    );
}

#[tokio::test]
async fn satisfaction_by_channel_cavimac_9_10() {
    let f = Fixture::new(&[("A", "CNAM", false)]);
    f.table(
        "satisfaction",
        "part-0.parquet",
        vec![
            ("response_id", ids("S", 5)),
            ("caisse_id", same_text("A", 5)),
            ("survey_date", dates(&[Some("2024-05-02"); 5])),
            (
                "channel",
                text(&[
                    Some("email"),
                    Some("email"),
                    Some("email"),
                    Some("telephone"),
                    Some("telephone"),
                ]),
            ),
            (
                "score",
                ints(&[Some(4), Some(3), Some(2), Some(1), Some(3)]),
            ),
        ],
    );
    let out = f.compute().await;
    let at = |channel: Option<&str>| {
        find(
            &out,
            "satisfaction_rate",
            "bench",
            Caisse,
            "A",
            channel,
            "2024",
        )
        .unwrap()
        .value
    };
    close(at(Some("email")), 200.0 / 3.0);
    close(at(Some("telephone")), 50.0);
    close(at(None), 60.0);
}
