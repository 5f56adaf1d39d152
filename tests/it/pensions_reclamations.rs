//! Pensions and complaints: the date rules (60-day window from the later of two dates, calendar
//! months clamped to the month's end, end of the following month, open days by calendar).
//! Values computed by hand; see docs/date-rules.md.

use crate::common::*;
use parangon::model::Level::{Caisse, Organism};

/// Caisse N: national calendar; caisse AM: Alsace-Moselle (Good Friday and 26 December closed).
fn reclamations_fixture() -> Fixture {
    let f = Fixture::new(&[("CPAM-N", "CNAM", false), ("CPAM-AM", "CNAM", true)]);
    // (id, caisse, branch, received, closed)
    let rows: &[(&str, &str, &str, &str, Option<&str>)] = &[
        // Wed 27 Mar → Fri 5 Apr 2024. National open days: Thu 28, Fri 29, Tue 2 … Fri 5 = 6
        // (Easter Monday 1 April closed) → above the 5 days of maladie.
        ("r1", "CPAM-N", "maladie", "2024-03-27", Some("2024-04-05")),
        // Same dates in Alsace-Moselle: Good Friday 29 March closed too → 5 → within.
        ("r2", "CPAM-AM", "maladie", "2024-03-27", Some("2024-04-05")),
        // Received on the Friday before Easter Monday, answered Mon 8 April: Tue 2 … Fri 5,
        // Mon 8 = 5 in both calendars (the day of receipt never counts) → within.
        ("r3", "CPAM-N", "maladie", "2024-03-29", Some("2024-04-08")),
        ("r4", "CPAM-AM", "maladie", "2024-03-29", Some("2024-04-08")),
        // Retraite has 8 open days: 29 Mar → Wed 10 Apr = 7 → within.
        ("r5", "CPAM-N", "retraite", "2024-03-29", Some("2024-04-10")),
        // Still open: in the denominator of its reception month, not within.
        ("r6", "CPAM-N", "retraite", "2024-03-20", None),
        // Fri 20 Dec 2024 → Thu 2 Jan 2025: national 7 open days (25 Dec and 1 Jan closed),
        // Alsace-Moselle 6 (26 Dec closed too): within 8 in both.
        (
            "r7",
            "CPAM-AM",
            "retraite",
            "2024-12-20",
            Some("2025-01-02"),
        ),
    ];
    let n = rows.len();
    f.table(
        "reclamations",
        "part-0.parquet",
        vec![
            (
                "reclamation_id",
                text(&rows.iter().map(|r| Some(r.0)).collect::<Vec<_>>()),
            ),
            (
                "caisse_id",
                text(&rows.iter().map(|r| Some(r.1)).collect::<Vec<_>>()),
            ),
            (
                "branch",
                text(&rows.iter().map(|r| Some(r.2)).collect::<Vec<_>>()),
            ),
            ("channel", same_text("courrier", n)),
            (
                "received_date",
                dates(&rows.iter().map(|r| Some(r.3)).collect::<Vec<_>>()),
            ),
            (
                "closed_date",
                dates(&rows.iter().map(|r| r.4).collect::<Vec<_>>()),
            ),
        ],
    );
    f
}

#[tokio::test]
async fn complaints_within_deadline_open_days_cavimac_13() {
    let out = reclamations_fixture().compute().await;
    let id = "reclamations_within_deadline";
    let at = |level, unit: &str, branch: Option<&str>, period: &str| {
        find(&out, id, "bench", level, unit, branch, period).map(|v| v.value)
    };
    // CPAM-N, received in March: r1 no, r3 yes, r5 yes, r6 (open) no → 2/4.
    close(at(Caisse, "CPAM-N", None, "2024-03").unwrap(), 50.0);
    close(
        at(Caisse, "CPAM-N", Some("maladie"), "2024-03").unwrap(),
        50.0,
    );
    close(
        at(Caisse, "CPAM-N", Some("retraite"), "2024-03").unwrap(),
        50.0,
    );
    // CPAM-AM, same dates: the local calendar makes r2 within → 2/2.
    close(at(Caisse, "CPAM-AM", None, "2024-03").unwrap(), 100.0);
    close(
        at(Caisse, "CPAM-AM", Some("maladie"), "2024-03").unwrap(),
        100.0,
    );
    // A branch with no complaint that month has no value, not 0 % or 100 %.
    assert!(at(Caisse, "CPAM-AM", Some("retraite"), "2024-03").is_none());
    // Organism pools the records: 4 within out of 6; maladie 3/4; retraite 1/2.
    close(at(Organism, "CNAM", None, "2024-03").unwrap(), 400.0 / 6.0);
    close(
        at(Organism, "CNAM", Some("maladie"), "2024-03").unwrap(),
        75.0,
    );
    close(
        at(Organism, "CNAM", Some("retraite"), "2024-03").unwrap(),
        50.0,
    );
    // Period = reception: r7 is a December 2024 record, answered in 2025.
    close(at(Caisse, "CPAM-AM", None, "2024-12").unwrap(), 100.0);
    close(at(Caisse, "CPAM-AM", None, "2024").unwrap(), 100.0);
    assert!(at(Caisse, "CPAM-AM", None, "2025").is_none());
    let cell = find(
        &out,
        id,
        "bench",
        Caisse,
        "CPAM-N",
        Some("maladie"),
        "2024-03",
    )
    .unwrap();
    assert_eq!(cell.dimension.as_deref(), Some("branch"));
    assert_eq!((cell.numerator, cell.denominator), (Some(1.0), Some(2.0)));
}

#[tokio::test]
async fn complaints_mean_delay_crpcen_10_11() {
    // Calendar days, period = closing date; open complaints are left out.
    let out = reclamations_fixture().compute().await;
    let id = "reclamations_delay_mean";
    let at = |unit: &str, branch: Option<&str>, period: &str| {
        find(&out, id, "bench", Caisse, unit, branch, period).map(|v| v.value)
    };
    // CPAM-N closed in April 2024: r1 9 days, r3 10, r5 12.
    close(at("CPAM-N", None, "2024-04").unwrap(), 31.0 / 3.0);
    close(at("CPAM-N", Some("maladie"), "2024-04").unwrap(), 9.5);
    close(at("CPAM-N", Some("retraite"), "2024-04").unwrap(), 12.0);
    // r7 closed 2 January 2025 after 13 days: a 2025 value.
    close(at("CPAM-AM", None, "2025-01").unwrap(), 13.0);
    assert!(at("CPAM-N", None, "2024-03").is_none());
}

#[tokio::test]
async fn complaints_within_10_days_camieg_1_7() {
    let out = reclamations_fixture().compute().await;
    let id = "reclamations_within_10d";
    // CPAM-N closed in April: 9 and 10 days within, 12 not → 2/3.
    close(value(&out, id, Caisse, "CPAM-N", "2024-04"), 200.0 / 3.0);
    close(value(&out, id, Caisse, "CPAM-AM", "2024-04"), 100.0);
    close(value(&out, id, Caisse, "CPAM-AM", "2025-01"), 0.0);
}

fn pensions_fixture() -> Fixture {
    let f = Fixture::new(&[("CARSAT-X", "CNAV", false)]);
    // (id, right, filed, complete, effective, notified, first_paid, channel)
    type Row = (
        &'static str,
        &'static str,
        &'static str,
        Option<&'static str>,
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        &'static str,
    );
    let rows: &[Row] = &[
        // Completion (15 Apr) after the effective date (1 Mar): 60 days run from completion.
        // 15 Apr + 60 days = 14 Jun: paid 14 Jun within, 15 Jun not.
        (
            "p1",
            "droit_propre",
            "2024-01-10",
            Some("2024-04-15"),
            "2024-03-01",
            Some("2024-05-20"),
            Some("2024-06-14"),
            "online",
        ),
        (
            "p2",
            "droit_propre",
            "2024-01-10",
            Some("2024-04-15"),
            "2024-03-01",
            Some("2024-05-20"),
            Some("2024-06-15"),
            "paper",
        ),
        // Completion before the effective date: 60 days from 1 May = 30 Jun → within; also paid
        // on the last day of the month after the effective month → without a gap.
        (
            "p3",
            "droit_propre",
            "2024-01-15",
            Some("2024-02-01"),
            "2024-05-01",
            Some("2024-04-02"),
            Some("2024-06-30"),
            "online",
        ),
        // No completion date: 60 days from the effective date 1 Apr = 31 May; paid 1 Jun (61)
        // → not within; and the day after the end of the following month → a gap.
        (
            "p4",
            "droit_propre",
            "2024-02-01",
            None,
            "2024-04-01",
            Some("2024-05-02"),
            Some("2024-06-01"),
            "paper",
        ),
        // Unpaid: cannot appear in figures placed by payment date.
        (
            "p5",
            "droit_propre",
            "2024-02-01",
            Some("2024-03-01"),
            "2024-04-01",
            None,
            None,
            "online",
        ),
        // Survivor's pension effective 31 Jan 2024, paid 29 Feb 2024 (leap year): no gap.
        (
            "d1",
            "droit_derive",
            "2024-01-31",
            Some("2024-02-01"),
            "2024-01-31",
            Some("2024-05-31"),
            Some("2024-02-29"),
            "online",
        ),
        // 29 Feb + 4 months = 29 Jun: notified 29 Jun within, 30 Jun not.
        (
            "d2",
            "droit_derive",
            "2024-02-29",
            Some("2024-03-01"),
            "2024-03-01",
            Some("2024-06-29"),
            None,
            "paper",
        ),
        (
            "d3",
            "droit_derive",
            "2024-02-29",
            Some("2024-03-01"),
            "2024-03-01",
            Some("2024-06-30"),
            None,
            "paper",
        ),
        // ASPA filed 31 Jan: 4 months later is 31 May (notified 31 May within, 1 Jun not).
        (
            "a1",
            "aspa",
            "2024-01-31",
            Some("2024-02-10"),
            "2024-02-01",
            Some("2024-05-31"),
            None,
            "paper",
        ),
        (
            "a2",
            "aspa",
            "2024-01-31",
            Some("2024-02-10"),
            "2024-02-01",
            Some("2024-06-01"),
            None,
            "online",
        ),
        // Filed 31 Oct 2023: 4 months later is 29 Feb 2024 (clamped): within.
        (
            "a3",
            "aspa",
            "2023-10-31",
            Some("2023-11-10"),
            "2023-11-01",
            Some("2024-02-29"),
            None,
            "paper",
        ),
    ];
    let col = |f: fn(&Row) -> Option<&'static str>| rows.iter().map(f).collect::<Vec<_>>();
    f.table(
        "pensions",
        "part-0.parquet",
        vec![
            ("pension_id", text(&col(|r| Some(r.0)))),
            ("caisse_id", same_text("CARSAT-X", rows.len())),
            ("right_type", text(&col(|r| Some(r.1)))),
            ("filed_date", dates(&col(|r| Some(r.2)))),
            ("complete_date", dates(&col(|r| r.3))),
            ("effective_date", dates(&col(|r| Some(r.4)))),
            ("notified_date", dates(&col(|r| r.5))),
            ("first_paid_date", dates(&col(|r| r.6))),
            ("channel", text(&col(|r| Some(r.7)))),
        ],
    );
    f
}

#[tokio::test]
async fn own_right_paid_within_60_days_cavimac_2() {
    let out = pensions_fixture().compute().await;
    let id = "pensions_dp_paid_within_60d";
    // June 2024 payments: p1 yes, p2 no, p3 yes, p4 no; p5 unpaid is absent.
    close(value(&out, id, Caisse, "CARSAT-X", "2024-06"), 50.0);
    let cell = find(&out, id, "bench", Caisse, "CARSAT-X", None, "2024").unwrap();
    assert_eq!((cell.numerator, cell.denominator), (Some(2.0), Some(4.0)));
}

#[tokio::test]
async fn paid_without_gap_end_of_following_month_annex_cnav() {
    let out = pensions_fixture().compute().await;
    let id = "pensions_paid_without_gap";
    // June: p3 paid on 30 Jun (deadline 30 Jun) yes; p1, p2 (deadline 30 Apr) no; p4 (deadline
    // 31 May, paid 1 Jun) no → 1/4. February: d1 yes.
    close(value(&out, id, Caisse, "CARSAT-X", "2024-06"), 25.0);
    close(value(&out, id, Caisse, "CARSAT-X", "2024-02"), 100.0);
    close(value(&out, id, Caisse, "CARSAT-X", "2024"), 40.0);
}

#[tokio::test]
async fn aspa_notified_within_4_months_cavimac_3() {
    let out = pensions_fixture().compute().await;
    let id = "pensions_aspa_notified_within_4m";
    close(value(&out, id, Caisse, "CARSAT-X", "2024-05"), 100.0); // a1: 31 Jan + 4 m = 31 May
    close(value(&out, id, Caisse, "CARSAT-X", "2024-06"), 0.0); // a2: 1 Jun
    close(value(&out, id, Caisse, "CARSAT-X", "2024-02"), 100.0); // a3: 31 Oct + 4 m = 29 Feb
    close(value(&out, id, Caisse, "CARSAT-X", "2024"), 200.0 / 3.0);
}

#[tokio::test]
async fn survivors_notified_within_4_months_cnav() {
    let out = pensions_fixture().compute().await;
    let id = "pensions_dd_notified_within_4m";
    close(value(&out, id, Caisse, "CARSAT-X", "2024-06"), 50.0); // d2 yes (29 Jun), d3 no
    close(value(&out, id, Caisse, "CARSAT-X", "2024-05"), 100.0); // d1
}

#[tokio::test]
async fn online_share_by_filing_date_cnav_cavimac() {
    let out = pensions_fixture().compute().await;
    let id = "pensions_online_share";
    // Filed in 2024: p1 on, p2 paper, p3 on, p4 paper, p5 on, d1 on, d2 paper, d3 paper,
    // a1 paper, a2 on → 5/10. a3 was filed in 2023 (paper) → 0 %.
    close(value(&out, id, Caisse, "CARSAT-X", "2024"), 50.0);
    close(value(&out, id, Caisse, "CARSAT-X", "2023"), 0.0);
    // January 2024: p1, p2, p3, d1, a1, a2 filed; p1, p3, d1, a2 online → 4/6.
    close(value(&out, id, Caisse, "CARSAT-X", "2024-01"), 400.0 / 6.0);
}
