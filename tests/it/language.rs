//! The indicator language of indicators-v2 §1.3–§1.5 — quantiles, counts of records and of
//! distinct units, shares over units, several breakdowns, `whole = false` — on hand-made
//! claims, with a small catalogue written here (`from_sources`): every definition of
//! `pipelines/` is published, so methods no published indicator uses yet are tested with
//! definitions that live only in this test. Every expected value is computed by hand in the
//! comments.

use std::path::PathBuf;

use crate::common::*;
use parangon::compute::{self, ComputeOptions};
use parangon::contract;
use parangon::ingest::Input;
use parangon::model::IndicatorValue;
use parangon::model::Level::{self, Caisse, National, Organism};

/// One claim: (caisse, claim_id, kind, received, paid, tiers_payant).
type Claim = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<bool>,
);

fn claims(f: &Fixture, rows: &[Claim]) {
    let col = |g: fn(&Claim) -> &'static str| rows.iter().map(|r| Some(g(r))).collect::<Vec<_>>();
    f.table(
        "claims",
        "part-0.parquet",
        vec![
            ("claim_id", text(&col(|r| r.1))),
            ("caisse_id", text(&col(|r| r.0))),
            ("kind", text(&col(|r| r.2))),
            ("received_date", dates(&col(|r| r.3))),
            ("paid_date", dates(&col(|r| r.4))),
            ("amount", floats(&vec![Some(1.0); rows.len()])),
            (
                "tiers_payant",
                bools(&rows.iter().map(|r| r.5).collect::<Vec<_>>()),
            ),
        ],
    );
}

/// Computes the fixture with the catalogue `toml` (definitions of table claims).
async fn run_catalogue(f: &Fixture, toml: &str) -> Vec<IndicatorValue> {
    let text = format!("table = \"claims\"\n{toml}");
    let catalogue =
        parangon::pipelines::indicators::from_sources(&[(PathBuf::from("language.toml"), text)])
            .unwrap();
    let input = Input::open(f.path().to_str().unwrap(), contract::TABLES)
        .await
        .unwrap();
    let raw = compute::compute(
        &input,
        &catalogue,
        &ComputeOptions::default(),
        &compute::Silent,
    )
    .await
    .unwrap();
    assert!(raw.not_computed.is_empty(), "{:?}", raw.not_computed);
    raw.values
}

/// A definition of the test catalogue.
fn def(id: &str, unit: &str, lines: &str) -> String {
    format!(
        "[[indicator]]\nid = \"{id}\"\nlabel_fr = \"{id}\"\nlabel_en = \"{id}\"\nunit = \"{unit}\"\n\
         direction = \"none\"\norigin = \"test\"\nperiod_date = \"paid_date\"\n{lines}\n"
    )
}

/// The cell (id, level, entity, breakdown `dimension:value` or whole, period).
fn cell<'a>(
    values: &'a [IndicatorValue],
    id: &str,
    level: Level,
    entity: &str,
    breakdown: Option<(&str, &str)>,
    period: &str,
) -> Option<&'a IndicatorValue> {
    let found: Vec<_> = values
        .iter()
        .filter(|v| {
            v.indicator_id == id
                && v.level == level
                && match level {
                    Caisse => v.caisse_id.as_deref() == Some(entity),
                    Organism => v.organism.as_deref() == Some(entity),
                    National => true,
                }
                && v.dimension.as_deref() == breakdown.map(|b| b.0)
                && v.dimension_value.as_deref() == breakdown.map(|b| b.1)
                && v.period() == period
        })
        .collect();
    assert!(
        found.len() <= 1,
        "{id} {level:?} {entity} {period}: {found:?}"
    );
    found.first().copied()
}

fn get(
    values: &[IndicatorValue],
    id: &str,
    level: Level,
    entity: &str,
    breakdown: Option<(&str, &str)>,
    period: &str,
) -> f64 {
    cell(values, id, level, entity, breakdown, period)
        .unwrap_or_else(|| panic!("no value {id} {level:?} {entity} {breakdown:?} {period}"))
        .value
}

#[tokio::test]
async fn quantiles_by_nearest_rank_and_p90_is_q_0_9() {
    // CPAM-A: FSE delays 1, 2, …, 10 in March 2024. CPAM-B: one FSE, delay 4. CPAM-C: 8 FSE
    // at 2 days and 2 at 30 (ties). All three in CNAM.
    let f = Fixture::new(&[
        ("CPAM-A", "CNAM", false),
        ("CPAM-B", "CNAM", false),
        ("CPAM-C", "CNAM", false),
    ]);
    let paid = [
        "2024-03-02",
        "2024-03-03",
        "2024-03-04",
        "2024-03-05",
        "2024-03-06",
        "2024-03-07",
        "2024-03-08",
        "2024-03-09",
        "2024-03-10",
        "2024-03-11",
    ];
    let ids: Vec<&'static str> = (0..21)
        .map(|i| &*Box::leak(format!("x{i}").into_boxed_str()))
        .collect();
    let mut rows: Vec<Claim> = Vec::new();
    for (i, &p) in paid.iter().enumerate() {
        rows.push(("CPAM-A", ids[i], "FSE", "2024-03-01", p, None));
    }
    rows.push(("CPAM-B", ids[10], "FSE", "2024-03-01", "2024-03-05", None));
    for i in 0..8 {
        rows.push((
            "CPAM-C",
            ids[11 + i],
            "FSE",
            "2024-03-01",
            "2024-03-03",
            None,
        ));
    }
    rows.push(("CPAM-C", ids[19], "FSE", "2024-03-01", "2024-03-31", None));
    rows.push(("CPAM-C", ids[20], "FSE", "2024-03-01", "2024-03-31", None));
    claims(&f, &rows);
    let value = "value = \"days(received_date, paid_date)\"";
    let mut toml = String::new();
    for (id, q) in [
        ("q25", "0.25"),
        ("q50", "0.5"),
        ("q90", "0.9"),
        ("q100", "1"),
    ] {
        toml.push_str(&def(
            id,
            "days",
            &format!("method = \"quantile\"\nq = {q}\n{value}"),
        ));
    }
    toml.push_str(&def("p90", "days", &format!("method = \"p90\"\n{value}")));
    let v = run_catalogue(&f, &toml).await;
    let at = |id, level, entity, period| get(&v, id, level, entity, None, period);
    // 1..10: ranks ⌈2.5⌉ = 3, 5, 9, 10.
    for (id, expected) in [("q25", 3.0), ("q50", 5.0), ("q90", 9.0), ("q100", 10.0)] {
        assert_eq!(at(id, Caisse, "CPAM-A", "2024-03"), expected, "{id}");
        assert_eq!(at(id, Caisse, "CPAM-A", "2024"), expected, "{id}");
    }
    // n = 1: every quantile is the value.
    for id in ["q25", "q50", "q90", "q100", "p90"] {
        assert_eq!(at(id, Caisse, "CPAM-B", "2024"), 4.0, "{id}");
    }
    // Ties 2×8, 30×2: ranks 3 and 5 → 2; 9 and 10 → 30.
    for (id, expected) in [("q25", 2.0), ("q50", 2.0), ("q90", 30.0), ("q100", 30.0)] {
        assert_eq!(at(id, Caisse, "CPAM-C", "2024"), expected, "{id}");
    }
    // CNAM pools the 21 delays: 1, 2×9, 3, 4×2, 5, 6, 7, 8, 9, 10, 30×2.
    // q 0.25: rank ⌈5.25⌉ = 6 → 2; 0.5: ⌈10.5⌉ = 11 → 3; 0.9: ⌈18.9⌉ = 19 → 10; 1: 30.
    for (id, expected) in [("q25", 2.0), ("q50", 3.0), ("q90", 10.0), ("q100", 30.0)] {
        assert_eq!(at(id, Organism, "CNAM", "2024"), expected, "{id}");
        assert_eq!(at(id, National, "", "2024-03"), expected, "{id}");
    }
    let cnam = cell(&v, "q50", Organism, "CNAM", None, "2024").unwrap();
    assert_eq!(
        (cnam.numerator, cnam.denominator, cnam.n_records),
        (None, Some(21.0), 21)
    );
    // p90 and quantile q = 0.9: the same cells, the same values.
    let pick = |id: &str| {
        let mut cells: Vec<_> = v
            .iter()
            .filter(|x| x.indicator_id == id)
            .map(|x| {
                (
                    x.level,
                    x.caisse_id.clone(),
                    x.organism.clone(),
                    x.period(),
                    x.value,
                    x.numerator,
                    x.denominator,
                    x.n_records,
                )
            })
            .collect();
        cells.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
        cells
    };
    assert_eq!(pick("p90"), pick("q90"));
    // 3 caisses, CNAM and the nation, each for March and 2024.
    assert_eq!(pick("p90").len(), 10);
}

/// Claims of two persons at CPAM-A and one at CPAM-B; the person is the claim id's prefix
/// (`P1-a` → `P1`). Keys are unique within a caisse only: P1 of CPAM-B is another person.
///
/// | caisse | claim | kind | paid | delay | tiers payant |
/// |---|---|---|---|---|---|
/// | A | P1-a | FSE | 11 Jan | 10 | true |
/// | A | P1-b | FSE | 9 Feb | 3 | false |
/// | A | P1-c | FSP | 21 Mar | 20 | null |
/// | A | P2-a | IJ | 31 Mar | 30 | false |
/// | A | P2-b | FSE | 11 Mar (received 31 Jan) | 40 | true |
/// | B | P1-a | FSE | 3 Jan | 2 | true |
fn persons() -> Fixture {
    let f = Fixture::new(&[("CPAM-A", "CNAM", false), ("CPAM-B", "CNAM", false)]);
    claims(
        &f,
        &[
            (
                "CPAM-A",
                "P1-a",
                "FSE",
                "2024-01-01",
                "2024-01-11",
                Some(true),
            ),
            (
                "CPAM-A",
                "P1-b",
                "FSE",
                "2024-02-06",
                "2024-02-09",
                Some(false),
            ),
            ("CPAM-A", "P1-c", "FSP", "2024-03-01", "2024-03-21", None),
            (
                "CPAM-A",
                "P2-a",
                "IJ",
                "2024-03-01",
                "2024-03-31",
                Some(false),
            ),
            (
                "CPAM-A",
                "P2-b",
                "FSE",
                "2024-01-31",
                "2024-03-11",
                Some(true),
            ),
            (
                "CPAM-B",
                "P1-a",
                "FSE",
                "2024-01-01",
                "2024-01-03",
                Some(true),
            ),
        ],
    );
    f
}

const PERSON: &str = "distinct = \"split_part(claim_id, '-', 1)\"";

#[tokio::test]
async fn count_and_distinct_persons_across_months() {
    let f = persons();
    let toml = [
        def("claims_n", "count", "method = \"count\""),
        def(
            "persons",
            "count",
            &format!("method = \"count_distinct\"\n{PERSON}"),
        ),
        def(
            "persons_by_kind",
            "count",
            &format!("method = \"count_distinct\"\n{PERSON}\ndimension = \"kind\""),
        ),
    ]
    .concat();
    let v = run_catalogue(&f, &toml).await;
    let at = |id, level, entity, period| get(&v, id, level, entity, None, period);
    // Records: A has 1 in January, 1 in February, 3 in March, 5 in 2024; B 1; CNAM 6.
    assert_eq!(at("claims_n", Caisse, "CPAM-A", "2024-01"), 1.0);
    assert_eq!(at("claims_n", Caisse, "CPAM-A", "2024-03"), 3.0);
    assert_eq!(at("claims_n", Caisse, "CPAM-A", "2024"), 5.0);
    assert_eq!(at("claims_n", Organism, "CNAM", "2024"), 6.0);
    let n = cell(&v, "claims_n", National, "", None, "2024").unwrap();
    assert_eq!(
        (n.value, n.numerator, n.denominator, n.n_records),
        (6.0, Some(6.0), Some(6.0), 6)
    );
    // Persons at A: January {P1} 1, February {P1} 1, March {P1, P2} 2; the year {P1, P2} = 2,
    // not 1 + 1 + 2 = 4: P1 appears in 3 months and counts once.
    assert_eq!(at("persons", Caisse, "CPAM-A", "2024-01"), 1.0);
    assert_eq!(at("persons", Caisse, "CPAM-A", "2024-02"), 1.0);
    assert_eq!(at("persons", Caisse, "CPAM-A", "2024-03"), 2.0);
    let year = cell(&v, "persons", Caisse, "CPAM-A", None, "2024").unwrap();
    // value = units = n_records; denominator = the 5 records behind them.
    assert_eq!(
        (year.value, year.numerator, year.denominator, year.n_records),
        (2.0, Some(2.0), Some(5.0), 2)
    );
    // CNAM adds the caisses' counts: P1 of B is another person. January 1 + 1 = 2; 2024 2 + 1.
    assert_eq!(at("persons", Organism, "CNAM", "2024-01"), 2.0);
    assert_eq!(at("persons", Organism, "CNAM", "2024"), 3.0);
    assert_eq!(at("persons", National, "", "2024"), 3.0);
    // By kind at A in 2024: FSE {P1, P2} 2, FSP {P1} 1, IJ {P2} 1; the whole is still 2
    // (a person with two kinds counts in both, once in the whole).
    let kind = |k| {
        get(
            &v,
            "persons_by_kind",
            Caisse,
            "CPAM-A",
            Some(("kind", k)),
            "2024",
        )
    };
    assert_eq!((kind("FSE"), kind("FSP"), kind("IJ")), (2.0, 1.0, 1.0));
    assert_eq!(at("persons_by_kind", Caisse, "CPAM-A", "2024"), 2.0);
    // CNAM FSE: A 2 + B 1.
    assert_eq!(
        get(
            &v,
            "persons_by_kind",
            Organism,
            "CNAM",
            Some(("kind", "FSE")),
            "2024"
        ),
        3.0
    );
}

#[tokio::test]
async fn share_over_units_a_person_meets_when_one_record_does() {
    let f = persons();
    let within_7 = "condition = \"days(received_date, paid_date) <= 7\"";
    let toml = [
        def(
            "persons_within_7d",
            "%",
            &format!("method = \"share\"\n{within_7}\n{PERSON}"),
        ),
        def(
            "claims_within_7d",
            "%",
            &format!("method = \"share\"\n{within_7}"),
        ),
    ]
    .concat();
    let v = run_catalogue(&f, &toml).await;
    let at = |id, level, entity, period| get(&v, id, level, entity, None, period);
    // A: January P1 (10 days) not met → 0 %; February P1 (3) met → 100 %; March P1 (20) and
    // P2 (30, 40) not met → 0 / 2; the year: P1 met (February), P2 not → 1 / 2 = 50 %.
    assert_eq!(at("persons_within_7d", Caisse, "CPAM-A", "2024-01"), 0.0);
    assert_eq!(at("persons_within_7d", Caisse, "CPAM-A", "2024-02"), 100.0);
    assert_eq!(at("persons_within_7d", Caisse, "CPAM-A", "2024-03"), 0.0);
    let year = cell(&v, "persons_within_7d", Caisse, "CPAM-A", None, "2024").unwrap();
    assert_eq!(
        (year.value, year.numerator, year.denominator, year.n_records),
        (50.0, Some(1.0), Some(2.0), 2)
    );
    // By record the year is 1 / 5 = 20 %.
    assert_eq!(at("claims_within_7d", Caisse, "CPAM-A", "2024"), 20.0);
    // CNAM: A 1 of 2 persons, B's P1 (2 days) met: 2 / 3; January: A's P1 not, B's P1 met: 1 / 2.
    close(
        at("persons_within_7d", Organism, "CNAM", "2024"),
        200.0 / 3.0,
    );
    assert_eq!(at("persons_within_7d", Organism, "CNAM", "2024-01"), 50.0);
}

#[tokio::test]
async fn two_breakdowns_never_crossed_and_whole_false() {
    let f = persons();
    let toml = [
        def(
            "by_two",
            "count",
            "method = \"count\"\ndimensions = [\"kind\", \"tiers_payant\"]",
        ),
        def(
            "kinds_only",
            "count",
            "method = \"count\"\ndimensions = [\"kind\"]\nwhole = false",
        ),
    ]
    .concat();
    let v = run_catalogue(&f, &toml).await;
    // A in 2024: whole 5 (once, not once per breakdown); kind FSE 3, FSP 1, IJ 1; tiers_payant
    // true 2 (P1-a, P2-b), false 2 (P1-b, P2-a); P1-c's null tiers_payant is in the whole only.
    let a = |b| get(&v, "by_two", Caisse, "CPAM-A", b, "2024");
    assert_eq!(a(None), 5.0);
    assert_eq!(
        (
            a(Some(("kind", "FSE"))),
            a(Some(("kind", "FSP"))),
            a(Some(("kind", "IJ")))
        ),
        (3.0, 1.0, 1.0)
    );
    assert_eq!(
        (
            a(Some(("tiers_payant", "true"))),
            a(Some(("tiers_payant", "false")))
        ),
        (2.0, 2.0)
    );
    // Exactly these six cells: no crossed value (FSE × true), no second whole.
    let mut a_cells: Vec<(Option<String>, Option<String>)> = v
        .iter()
        .filter(|x| {
            x.indicator_id == "by_two"
                && x.level == Caisse
                && x.caisse_id.as_deref() == Some("CPAM-A")
                && x.period() == "2024"
        })
        .map(|x| (x.dimension.clone(), x.dimension_value.clone()))
        .collect();
    a_cells.sort();
    let s = |x: &str| Some(x.to_string());
    assert_eq!(
        a_cells,
        vec![
            (None, None),
            (s("kind"), s("FSE")),
            (s("kind"), s("FSP")),
            (s("kind"), s("IJ")),
            (s("tiers_payant"), s("false")),
            (s("tiers_payant"), s("true")),
        ]
    );
    // National: whole 6; tiers_payant true 3 (B's P1-a too).
    assert_eq!(get(&v, "by_two", National, "", None, "2024"), 6.0);
    assert_eq!(
        get(
            &v,
            "by_two",
            National,
            "",
            Some(("tiers_payant", "true")),
            "2024"
        ),
        3.0
    );
    // whole = false: the kind values, at every level and period, and never a whole.
    assert_eq!(
        get(
            &v,
            "kinds_only",
            Caisse,
            "CPAM-A",
            Some(("kind", "FSE")),
            "2024"
        ),
        3.0
    );
    assert_eq!(
        get(
            &v,
            "kinds_only",
            National,
            "",
            Some(("kind", "FSE")),
            "2024-01"
        ),
        2.0
    );
    let kinds_only: Vec<_> = v
        .iter()
        .filter(|x| x.indicator_id == "kinds_only")
        .collect();
    assert!(!kinds_only.is_empty());
    assert!(
        kinds_only
            .iter()
            .all(|x| x.dimension.as_deref() == Some("kind"))
    );
}
