//! Indicators of the claims, calls and e-mails tables, on hand-made fixtures with values
//! computed by hand. Each test names the document and indicator it checks.

use crate::common::*;
use parangon::model::Level::{Caisse, National, Organism};

/// Two CPAM of one network and Cavimac. Delays are `paid − received` in calendar days.
fn claims_fixture() -> Fixture {
    let f = Fixture::new(&[
        ("CPAM-A", "CNAM", false),
        ("CPAM-B", "CNAM", false),
        ("CAVIMAC", "CAVIMAC", false),
    ]);
    // (caisse, kind, received, paid)
    let rows: &[(&str, &str, &str, Option<&str>)] = &[
        // CPAM-A, FSE paid in March 2024: delays 1, 2, 3, 10.
        ("CPAM-A", "FSE", "2024-03-04", Some("2024-03-05")),
        ("CPAM-A", "FSE", "2024-03-04", Some("2024-03-06")),
        ("CPAM-A", "FSE", "2024-03-04", Some("2024-03-07")),
        ("CPAM-A", "FSE", "2024-03-04", Some("2024-03-14")),
        // Unpaid: out of every delay (indicators.md, "Unpaid / open records").
        ("CPAM-A", "FSE", "2024-03-04", None),
        // Received in March, paid in April (period = payment date): delay 20.
        ("CPAM-A", "FSE", "2024-03-25", Some("2024-04-14")),
        // Received in 2023, paid in January 2024: counts in 2024-01, delay 6.
        ("CPAM-A", "FSE", "2023-12-28", Some("2024-01-03")),
        // CPAM-B, FSE paid in March 2024: delay 5 (received 29 Feb of a leap year).
        ("CPAM-B", "FSE", "2024-02-29", Some("2024-03-05")),
        // FSP: CPAM-A delays 7 and 14 in March; an FSP does not enter FSE figures.
        ("CPAM-A", "FSP", "2024-03-01", Some("2024-03-08")),
        ("CPAM-A", "FSP", "2024-03-01", Some("2024-03-15")),
        // IJ: Cavimac delays 10 and 20 in March.
        ("CAVIMAC", "IJ", "2024-03-01", Some("2024-03-11")),
        ("CAVIMAC", "IJ", "2024-03-01", Some("2024-03-21")),
    ];
    let n = rows.len();
    f.table(
        "claims",
        "part-0.parquet",
        vec![
            ("claim_id", ids("C", n)),
            (
                "caisse_id",
                text(&rows.iter().map(|r| Some(r.0)).collect::<Vec<_>>()),
            ),
            (
                "kind",
                text(&rows.iter().map(|r| Some(r.1)).collect::<Vec<_>>()),
            ),
            (
                "received_date",
                dates(&rows.iter().map(|r| Some(r.2)).collect::<Vec<_>>()),
            ),
            (
                "paid_date",
                dates(&rows.iter().map(|r| r.3).collect::<Vec<_>>()),
            ),
            ("amount", floats(&vec![Some(10.0); n])),
        ],
    );
    f
}

#[tokio::test]
async fn fse_mean_delay_cavimac_7_bench() {
    // Cavimac COG n°7 (Bench): Σ(mandatement − réception) / nombre de FSE, by payment month.
    let out = claims_fixture().compute().await;
    let id = "claims_fse_delay_mean";
    close(value(&out, id, Caisse, "CPAM-A", "2024-03"), 16.0 / 4.0);
    close(value(&out, id, Caisse, "CPAM-A", "2024-04"), 20.0);
    close(value(&out, id, Caisse, "CPAM-A", "2024-01"), 6.0);
    // Year: all FSE paid in 2024 pooled: (1+2+3+10+20+6) / 6.
    close(value(&out, id, Caisse, "CPAM-A", "2024"), 42.0 / 6.0);
    // Organism = records pooled, not a mean of caisse means: (16 + 5) / 5, not (4 + 5) / 2.
    close(value(&out, id, Organism, "CNAM", "2024-03"), 21.0 / 5.0);
    close(value(&out, id, National, "", "2024-03"), 21.0 / 5.0);
    let cell = find(&out, id, "bench", Caisse, "CPAM-A", None, "2024-03").unwrap();
    assert_eq!(
        (cell.numerator, cell.denominator, cell.n_records),
        (Some(16.0), Some(4.0), 4)
    );
    assert_eq!(cell.organism.as_deref(), Some("CNAM"));
    // No FSE at Cavimac: no value (not zero).
    assert!(find(&out, id, "bench", Caisse, "CAVIMAC", None, "2024-03").is_none());
    assert!(find(&out, id, "bench", Caisse, "CPAM-A", None, "2023").is_none());
}

#[tokio::test]
async fn fsp_mean_delay_cavimac_6_bench() {
    let out = claims_fixture().compute().await;
    close(
        value(&out, "claims_fsp_delay_mean", Caisse, "CPAM-A", "2024-03"),
        10.5,
    );
}

#[tokio::test]
async fn fse_p90_nearest_rank_camieg_8_crpcen_2() {
    // Nearest rank: smallest delay with at least 90 % of records at or below it.
    let out = claims_fixture().compute().await;
    let id = "claims_fse_delay_p90";
    // CPAM-A March: {1,2,3,10}: rank ceil(3.6) = 4 → 10.
    close(value(&out, id, Caisse, "CPAM-A", "2024-03"), 10.0);
    // CNAM March: {1,2,3,5,10}: rank ceil(4.5) = 5 → 10.
    close(value(&out, id, Organism, "CNAM", "2024-03"), 10.0);
    // CPAM-A year: {1,2,3,6,10,20}: rank ceil(5.4) = 6 → 20.
    close(value(&out, id, Caisse, "CPAM-A", "2024"), 20.0);
    let cell = find(&out, id, "bench", Caisse, "CPAM-A", None, "2024").unwrap();
    assert_eq!((cell.numerator, cell.n_records), (None, 6));
    // FSP: {7, 14}: rank ceil(1.8) = 2 → 14.
    close(
        value(&out, "claims_fsp_delay_p90", Caisse, "CPAM-A", "2024-03"),
        14.0,
    );
}

#[tokio::test]
async fn fse_paid_within_7_days_annex() {
    let out = claims_fixture().compute().await;
    let id = "claims_fse_paid_within_7d";
    // CPAM-A March: delays 1,2,3 ≤ 7, 10 > 7 → 3/4.
    close(value(&out, id, Caisse, "CPAM-A", "2024-03"), 75.0);
    // CNAM March: 4/5; CPAM-A 2024: 1,2,3,6 of 6.
    close(value(&out, id, Organism, "CNAM", "2024-03"), 80.0);
    close(value(&out, id, Caisse, "CPAM-A", "2024"), 400.0 / 6.0);
}

#[tokio::test]
async fn ij_mean_delay_cavimac_8_bench() {
    let out = claims_fixture().compute().await;
    close(
        value(&out, "claims_ij_delay_mean", Caisse, "CAVIMAC", "2024-03"),
        15.0,
    );
    close(
        value(&out, "claims_ij_delay_mean", Organism, "CAVIMAC", "2024"),
        15.0,
    );
}

fn calls_fixture() -> Fixture {
    let f = Fixture::new(&[("CPAM-A", "CNAM", false), ("CPAM-B", "CNAM", false)]);
    let outcomes = [
        "agent",
        "agent",
        "agent",
        "ivr_info",
        "deflected",
        "abandoned",
        "welcome_hangup",
        "welcome_hangup",
    ];
    let n = outcomes.len();
    let mut caisses = vec![Some("CPAM-A"); n];
    let mut all = outcomes.map(Some).to_vec();
    let mut when = vec![Some("2024-03-04 09:30"); n];
    // CPAM-B: one call answered by an agent, one abandoned, in March.
    caisses.extend([Some("CPAM-B"), Some("CPAM-B")]);
    all.extend([Some("agent"), Some("abandoned")]);
    when.extend([Some("2024-03-29 16:59"), Some("2024-03-31 23:59")]);
    f.table(
        "calls",
        "part-0.parquet",
        vec![
            ("call_id", ids("T", n + 2)),
            ("caisse_id", text(&caisses)),
            ("arrived_at", stamps(&when)),
            ("outcome", text(&all)),
        ],
    );
    f
}

#[tokio::test]
async fn calls_reached_rate_cavimac_11() {
    // (agent + SVI information) / (agent + SVI + dissuadés + abandonnés); welcome hang-ups out.
    let out = calls_fixture().compute().await;
    close(
        value(&out, "calls_reached_rate", Caisse, "CPAM-A", "2024-03"),
        400.0 / 6.0,
    );
    close(
        value(&out, "calls_reached_rate", Caisse, "CPAM-B", "2024-03"),
        50.0,
    );
    close(
        value(&out, "calls_reached_rate", Organism, "CNAM", "2024-03"),
        500.0 / 8.0,
    );
    let cell = find(
        &out,
        "calls_reached_rate",
        "bench",
        Caisse,
        "CPAM-A",
        None,
        "2024",
    )
    .unwrap();
    assert_eq!(
        (cell.numerator, cell.denominator, cell.n_records),
        (Some(4.0), Some(6.0), 6)
    );
}

#[tokio::test]
async fn calls_agent_answer_rate_camieg_3() {
    // agent / (all calls − welcome hang-ups): 3 / 6 at CPAM-A.
    let out = calls_fixture().compute().await;
    close(
        value(&out, "calls_agent_answer_rate", Caisse, "CPAM-A", "2024-03"),
        50.0,
    );
    close(
        value(&out, "calls_agent_answer_rate", National, "", "2024"),
        50.0,
    );
}

#[tokio::test]
async fn emails_within_48_hours_cavimac_12() {
    let f = Fixture::new(&[("CPAM-A", "CNAM", false)]);
    let received = [
        Some("2024-03-01 10:00"), // answered exactly 48 h later: within
        Some("2024-03-01 10:00"), // answered 48 h 01 min later: not within
        Some("2024-03-01 10:00"), // never answered: stays in the denominator, not within
        Some("2024-03-01 10:00"), // spam: out of the denominator
        Some("2024-03-31 23:30"), // received in March, answered in April: a March record, within
    ];
    let answered = [
        Some("2024-03-03 10:00"),
        Some("2024-03-03 10:01"),
        None,
        None,
        Some("2024-04-01 08:00"),
    ];
    f.table(
        "emails",
        "part-0.parquet",
        vec![
            ("email_id", ids("M", 5)),
            ("caisse_id", same_text("CPAM-A", 5)),
            ("received_at", stamps(&received)),
            ("first_response_at", stamps(&answered)),
            (
                "is_spam",
                bools(&[
                    Some(false),
                    Some(false),
                    Some(false),
                    Some(true),
                    Some(false),
                ]),
            ),
        ],
    );
    let out = f.compute().await;
    close(
        value(&out, "emails_within_48h", Caisse, "CPAM-A", "2024-03"),
        50.0,
    );
    let cell = find(
        &out,
        "emails_within_48h",
        "bench",
        Caisse,
        "CPAM-A",
        None,
        "2024-03",
    )
    .unwrap();
    assert_eq!((cell.numerator, cell.denominator), (Some(2.0), Some(4.0)));
    assert!(
        find(
            &out,
            "emails_within_48h",
            "bench",
            Caisse,
            "CPAM-A",
            None,
            "2024-04"
        )
        .is_none()
    );
}

#[tokio::test]
async fn absent_tables_are_not_computed_never_zero() {
    let out = calls_fixture().compute().await;
    assert!(
        out.values
            .iter()
            .all(|v| v.indicator_id.starts_with("calls_"))
    );
    let reasons: Vec<_> = out
        .not_computed
        .iter()
        .filter(|n| n.indicator_id == "claims_fse_delay_mean")
        .map(|n| n.reason.as_str())
        .collect();
    assert_eq!(reasons, vec!["not computed: no claims extract"]);
}

#[tokio::test]
async fn years_option_keeps_only_those_years() {
    let out = claims_fixture()
        .compute_with(
            parangon::compute::ComputeOptions {
                years: vec![2023],
                ..Default::default()
            },
            0,
        )
        .await;
    assert!(out.values.is_empty(), "all claims were paid in 2024");
}
