//! Statistical confidentiality (issue #6, outputs.md `suppressed`, docs/confidentiality.md):
//! values on fewer than 11 records are masked, secondary suppression protects them, the exact
//! values stay in `indicator_values`, and the published renderings print the mask.

use crate::common::*;
use parangon::assess::benchmark;
use parangon::compute::ComputeOptions;
use parangon::model::Level::{Caisse, National, Organism};
use parangon::model::{IndicatorValue, Level};
use parangon::render::annex::{self, AnnexInput, Cell};

const ID: &str = "claims_fse_delay_mean";

/// CNAM: A has 5 FSE (delay 2 days each), B 20 (delay 4), C 30 (delay 6), D 14 (delay 8).
/// CAMIEG: E has 8 FSE (delay 3). All received on Monday 4 March 2024 and paid in March.
fn fixture() -> Fixture {
    let f = Fixture::new(&[
        ("A", "CNAM", false),
        ("B", "CNAM", false),
        ("C", "CNAM", false),
        ("D", "CNAM", false),
        ("E", "CAMIEG", false),
    ]);
    let groups: &[(&str, usize, &str)] = &[
        ("A", 5, "2024-03-06"),
        ("B", 20, "2024-03-08"),
        ("C", 30, "2024-03-10"),
        ("D", 14, "2024-03-12"),
        ("E", 8, "2024-03-07"),
    ];
    let mut caisse = Vec::new();
    let mut paid = Vec::new();
    for (c, n, day) in groups {
        caisse.extend(std::iter::repeat_n(Some(*c), *n));
        paid.extend(std::iter::repeat_n(Some(*day), *n));
    }
    let n = caisse.len();
    f.table(
        "claims",
        "2024.parquet",
        vec![
            ("claim_id", ids("F", n)),
            ("caisse_id", text(&caisse)),
            ("kind", same_text("FSE", n)),
            ("received_date", dates(&vec![Some("2024-03-04"); n])),
            ("paid_date", dates(&paid)),
            ("amount", floats(&vec![Some(25.0); n])),
        ],
    );
    f
}

async fn compute(f: &Fixture, threshold: Option<i64>) -> Computed {
    let threshold = threshold.unwrap_or(parangon::assess::confidentiality::DEFAULT_THRESHOLD);
    f.compute_with(ComputeOptions::default(), threshold).await
}

fn cell<'a>(out: &'a Computed, level: Level, unit: &str, period: &str) -> &'a IndicatorValue {
    find(out, ID, "bench", level, unit, None, period)
        .unwrap_or_else(|| panic!("no value {level:?} {unit} {period}"))
}

#[tokio::test]
async fn few_records_are_masked_and_the_smallest_other_caisse_with_them() {
    let out = compute(&fixture(), None).await;
    for period in ["2024", "2024-03"] {
        // A: 5 records < 11, primary. Exact value kept for internal use.
        let a = cell(&out, Caisse, "A", period);
        assert!(a.suppressed);
        assert_eq!((a.n_records, a.value), (5, 2.0));
        // CNAM's value is published (69 records), so A = CNAM − (B + C + D) would be
        // recoverable: D, the published caisse with the fewest records (14), is masked too.
        assert!(cell(&out, Caisse, "D", period).suppressed);
        assert!(!cell(&out, Caisse, "B", period).suppressed);
        assert!(!cell(&out, Caisse, "C", period).suppressed);
        // E: 8 records, primary; CAMIEG has only E, so 8 records too: primary.
        assert!(cell(&out, Caisse, "E", period).suppressed);
        assert!(cell(&out, Organism, "CAMIEG", period).suppressed);
        // The nation (77 records) = CNAM + CAMIEG: with CAMIEG masked alone, CNAM would
        // give it away, so CNAM is masked as well; the national value stays published.
        assert!(cell(&out, Organism, "CNAM", period).suppressed);
        let national = cell(&out, National, "", period);
        assert!(!national.suppressed);
        assert_eq!(national.n_records, 77);
    }
    // Per year (A D E, CNAM CAMIEG) and the same per month; nothing else of this indicator.
    let masked = out
        .values
        .iter()
        .filter(|v| v.indicator_id == ID && v.definition == "bench" && v.suppressed)
        .count();
    assert_eq!(masked, 10);
    assert!(out.suppression.primary >= 6);
    assert_eq!(out.suppression.thresholds["claims"], 11);
}

#[tokio::test]
async fn no_published_total_has_a_single_masked_part() {
    let out = compute(&fixture(), None).await;
    let published = |level: Level, org: Option<&str>, period: &str| {
        out.values.iter().any(|v| {
            v.indicator_id == ID
                && v.definition == "bench"
                && v.level == level
                && v.organism.as_deref() == org
                && v.period() == period
                && v.dimension.is_none()
                && !v.suppressed
        })
    };
    for period in ["2024", "2024-03"] {
        for org in ["CNAM", "CAMIEG"] {
            if published(Organism, Some(org), period) {
                let masked = out
                    .values
                    .iter()
                    .filter(|v| {
                        v.indicator_id == ID
                            && v.definition == "bench"
                            && v.level == Caisse
                            && v.organism.as_deref() == Some(org)
                            && v.period() == period
                            && v.suppressed
                    })
                    .count();
                assert_ne!(masked, 1, "{org} {period}");
            }
        }
    }
}

#[tokio::test]
async fn the_same_inputs_mask_the_same_cells() {
    let f = fixture();
    let mask = |out: &Computed| -> Vec<bool> { out.values.iter().map(|v| v.suppressed).collect() };
    let first = compute(&f, None).await;
    let second = compute(&f, None).await;
    assert_eq!(mask(&first), mask(&second));
}

#[tokio::test]
async fn threshold_is_configurable() {
    let f = fixture();
    // 0: nothing masked.
    let out = compute(&f, Some(0)).await;
    assert!(out.values.iter().all(|v| !v.suppressed));
    assert_eq!((out.suppression.primary, out.suppression.secondary), (0, 0));
    // 6: A (5) is under it, E and CAMIEG (8) are not.
    let out = compute(&f, Some(6)).await;
    assert!(cell(&out, Caisse, "A", "2024").suppressed);
    assert!(!cell(&out, Caisse, "E", "2024").suppressed);
    assert!(!cell(&out, Organism, "CAMIEG", "2024").suppressed);
    assert!(cell(&out, Caisse, "D", "2024").suppressed, "secondary");
    // 21: A, B, D, E under it. Three of CNAM's four caisses masked: their sum is known
    // (CNAM − C), none of them alone, so C stays published; CNAM goes with CAMIEG (national).
    let out = compute(&f, Some(21)).await;
    for c in ["A", "B", "D", "E"] {
        assert!(cell(&out, Caisse, c, "2024").suppressed, "{c}");
    }
    assert!(!cell(&out, Caisse, "C", "2024").suppressed);
    assert!(cell(&out, Organism, "CNAM", "2024").suppressed);
}

#[tokio::test]
async fn organisation_level_tables_are_not_masked_for_one_row_per_caisse() {
    // staff.toml and costs.toml set suppression_threshold = 0: an ETP count is a figure of the
    // organisation, one row per caisse and year, not a statistic on persons.
    let f = fixture();
    f.table(
        "staff",
        "2024.parquet",
        vec![
            ("caisse_id", text(&[Some("A"), Some("E")])),
            ("year", ints(&[Some(2024), Some(2024)])),
            ("etp", floats(&[Some(120.0), Some(35.5)])),
        ],
    );
    let out = compute(&f, None).await;
    let etp = find(&out, "staff_etp", "bench", Caisse, "A", None, "2024").unwrap();
    assert_eq!(
        (etp.n_records, etp.value, etp.suppressed),
        (1, 120.0, false)
    );
    assert_eq!(out.suppression.thresholds["staff"], 0);
    assert_eq!(out.suppression.thresholds["claims"], 11);
}

#[tokio::test]
async fn benchmark_and_annex_leave_masked_values_out() {
    let out = compute(&fixture(), None).await;
    let catalogue = catalogue();
    let (rows, ranks) = benchmark::benchmark(&out.values, &catalogue);
    let national = rows
        .iter()
        .find(|b| {
            b.indicator_id == ID
                && b.definition == "bench"
                && b.scope == "national"
                && b.year == 2024
        })
        .unwrap();
    // B (4 days) and C (6 days) only.
    assert_eq!(national.n_caisses, 2);
    assert_eq!((national.min, national.max), (4.0, 6.0));
    assert!(
        !ranks
            .iter()
            .any(|r| r.indicator_id == ID && ["A", "D", "E"].contains(&r.caisse_id.as_str()))
    );
    let tables = annex::tables(&AnnexInput {
        values: &out.values,
        benchmark: &rows,
        ranks: &ranks,
        catalogue: &catalogue,
        year: 2024,
    });
    let a = tables.iter().find(|t| t.key == "A").unwrap();
    let label = &catalogue.definitions_of(ID)[0].label_fr;
    for org in ["CNAM", "CAMIEG"] {
        let row = a
            .rows
            .iter()
            .find(|r| &r.indicator == label && r.organism == org)
            .unwrap();
        assert_eq!(row.cells[1], Cell::Masked, "{org}");
        assert_eq!(row.cells[1].display(), "s");
        assert_eq!(row.cells[1].number(), None);
    }
    // The Parquet rendering: no number for a masked cell, the mask as its text.
    use parangon::arrow::array::{Array, Float64Array, StringArray};
    let batch = annex::table_to_batch(a);
    let col = |name: &str| batch.column_by_name(name).unwrap().clone();
    let (organism, indicator, column, value, text) = (
        col("organism"),
        col("indicator"),
        col("column_number"),
        col("value"),
        col("text"),
    );
    let organism = organism.as_any().downcast_ref::<StringArray>().unwrap();
    let indicator = indicator.as_any().downcast_ref::<StringArray>().unwrap();
    let value = value.as_any().downcast_ref::<Float64Array>().unwrap();
    let text = text.as_any().downcast_ref::<StringArray>().unwrap();
    let column = column
        .as_any()
        .downcast_ref::<parangon::arrow::array::Int32Array>()
        .unwrap();
    let masked: Vec<usize> = (0..batch.num_rows())
        .filter(|&i| indicator.value(i) == label.as_str() && text.value(i) == "s")
        .collect();
    assert_eq!(masked.len(), 2, "CNAM and CAMIEG in 2024");
    for i in masked {
        assert!(value.is_null(i));
        assert!(["CNAM", "CAMIEG"].contains(&organism.value(i)));
        assert!(column.value(i) >= 1);
    }
    let html = annex::html::page(
        &AnnexInput {
            values: &out.values,
            benchmark: &rows,
            ranks: &ranks,
            catalogue: &catalogue,
            year: 2024,
        },
        &tables,
        "test",
    );
    assert!(html.contains("masked"));
}
