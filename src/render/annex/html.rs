//! `annex.html`: one self-contained page (no script, font or image from the network), readable on
//! screen and printable: the four annex tables, then for each harmonised indicator a chart of the
//! caisses against their organism's target and the national value, with the spread (quartiles).
//!
//! The page and its SVG charts are minijinja templates (`templates/`, embedded in the binary);
//! this module computes what they show (labels, classes, coordinates already formatted) into
//! plain view structs, and the templates lay them out. Every value a template prints is escaped
//! on output ([`escape_formatter`]), so no text from the data can open a tag or end an attribute.

use std::sync::LazyLock;

use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, Error, Output, State, UndefinedBehavior, Value};
use serde::Serialize;

use super::{AnnexInput, Cell, Format, Table};
use crate::model::{BENCH, Direction, Indicator, Level, Unit};

/// The page.
pub fn page(input: &AnnexInput, tables: &[Table], title: &str) -> String {
    let view = PageView {
        title,
        year: input.year,
        tables: tables.iter().map(TableView::of).collect(),
        charts: input
            .catalogue
            .indicators
            .iter()
            .filter(|i| i.definition == BENCH)
            .filter_map(|ind| chart(input, ind))
            .collect(),
    };
    TEMPLATES
        .get_template("annex.html.j2")
        .and_then(|t| t.render(Value::from(Serde(&view))))
        .expect("the annex templates render every page view")
}

/// The templates, parsed once.
static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // A line holding only a block tag prints nothing; the page ends with its newline.
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .expect("default delimiters"),
    );
    // A field misspelt in a template is an error, not an empty string.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // `*.html.j2` and `*.svg.j2` are escaped as HTML; `annex.css` is static text.
    env.set_auto_escape_callback(|name| {
        let name = name.strip_suffix(".j2").unwrap_or(name);
        if name.ends_with(".html") || name.ends_with(".svg") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env.set_formatter(escape_formatter);
    for (name, source) in [
        ("annex.html.j2", include_str!("templates/annex.html.j2")),
        ("table.html.j2", include_str!("templates/table.html.j2")),
        ("chart.svg.j2", include_str!("templates/chart.svg.j2")),
        ("annex.css", include_str!("templates/annex.css")),
    ] {
        env.add_template(name, source)
            .expect("the annex templates parse");
    }
    env
});

/// minijinja's formatter, but for HTML it escapes `&`, `<`, `>` and `"` only. minijinja's own
/// HTML escape also writes `'` as `&#x27;` and `/` as `&#x2f;`, which changes the page: the
/// annex's French labels are full of apostrophes (« Taux d'appels aboutis ») and its column
/// headers of slashes (`2023/2024`). Both are harmless in text and in the double-quoted
/// attributes the templates use, so the page keeps them as they are.
fn escape_formatter(out: &mut Output, state: &mut State, value: &Value) -> Result<(), Error> {
    match value.as_str() {
        Some(text) if *state.auto_escape() == AutoEscape::Html && !value.is_safe() => {
            let mut rest = text;
            while let Some(i) = rest.find(['&', '<', '>', '"']) {
                out.write_str(&rest[..i])?;
                out.write_str(match rest.as_bytes()[i] {
                    b'&' => "&amp;",
                    b'<' => "&lt;",
                    b'>' => "&gt;",
                    _ => "&quot;",
                })?;
                rest = &rest[i + 1..];
            }
            out.write_str(rest)?;
            Ok(())
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

#[derive(Serialize)]
struct PageView<'a> {
    title: &'a str,
    year: i32,
    tables: Vec<TableView<'a>>,
    charts: Vec<ChartView<'a>>,
}

/// A table as printed: the labels of each row already reduced to the first of their group.
#[derive(Serialize)]
struct TableView<'a> {
    key: &'a str,
    title: &'a str,
    organism_header: &'a str,
    /// Whether the table has an indicator column (`indicator_header` its header).
    label_column: bool,
    indicator_header: &'a str,
    columns: &'a [String],
    rows: Vec<RowView<'a>>,
    notes: &'a [String],
}

#[derive(Serialize)]
struct RowView<'a> {
    /// `total`, `first` (starts a group) or none.
    class: Option<&'static str>,
    organism: &'a str,
    indicator: &'a str,
    cells: Vec<CellView>,
}

#[derive(Serialize)]
struct CellView {
    class: &'static str,
    text: String,
}

impl<'a> TableView<'a> {
    fn of(t: &'a Table) -> Self {
        let rows = (0..t.rows.len())
            .map(|i| {
                let row = &t.rows[i];
                let (organism, indicator) = t.labels(i);
                let class = if row.total {
                    Some("total")
                } else if t.starts_group(i) {
                    Some("first")
                } else {
                    None
                };
                let cells = row
                    .cells
                    .iter()
                    .map(|cell| CellView {
                        class: match cell {
                            Cell::Grey => "grey",
                            Cell::Met(true) => "met",
                            Cell::Met(false) => "missed",
                            Cell::Masked => "masked",
                            _ => "num",
                        },
                        text: cell.display(),
                    })
                    .collect();
                RowView {
                    class,
                    organism,
                    indicator,
                    cells,
                }
            })
            .collect();
        TableView {
            key: t.key,
            title: &t.title,
            organism_header: &t.organism_header,
            label_column: !t.indicator_header.is_empty(),
            indicator_header: &t.indicator_header,
            columns: &t.columns,
            rows,
            notes: &t.notes,
        }
    }
}

/// A dot plot, every coordinate formatted as the SVG prints it.
#[derive(Serialize)]
struct ChartView<'a> {
    label: &'a str,
    year: i32,
    unit: &'static str,
    better: &'static str,
    /// The view box.
    width: String,
    height: String,
    /// The plot's top and bottom (the rows of caisses between them).
    top: String,
    bottom: String,
    /// The quartile band and the median.
    band: Option<BandView>,
    /// Five grid lines with their value under the plot (at `axis_y`).
    axis: Vec<AxisTick>,
    axis_y: String,
    national: Option<NationalView>,
    /// The right edge of the caisses' names.
    caisse_x: String,
    points: Vec<PointView<'a>>,
}

#[derive(Serialize)]
struct BandView {
    x: String,
    width: String,
    height: String,
    median: String,
}

#[derive(Serialize)]
struct AxisTick {
    x: String,
    label: String,
}

#[derive(Serialize)]
struct NationalView {
    x: String,
    y1: String,
    label_y: String,
    label: String,
}

/// One caisse: its name, its dot (coloured by `class`) and its organism's target tick.
#[derive(Serialize)]
struct PointView<'a> {
    caisse: &'a str,
    organism: &'a str,
    /// `met`, `missed` or `none` (no target).
    class: &'static str,
    x: String,
    y: String,
    label_y: String,
    value: String,
    target: Option<TargetTick>,
}

#[derive(Serialize)]
struct TargetTick {
    x: String,
    y1: String,
    y2: String,
}

/// A coordinate to a tenth.
fn tenth(v: f64) -> String {
    format!("{v:.1}")
}

/// A dot plot: one line per caisse (best at the top), its value, its organism's target for the
/// year (when the target is on the bench definition), the national value and the quartile band.
/// None when no caisse has a value for the year.
fn chart<'a>(input: &'a AnnexInput, ind: &'a Indicator) -> Option<ChartView<'a>> {
    let n = input.year;
    let mut points: Vec<(&str, &str, f64, Option<i64>)> = input
        .ranks
        .iter()
        .filter(|r| {
            r.indicator_id == ind.id
                && r.definition == BENCH
                && r.year == n
                && r.scope == "national"
        })
        .map(|r| (r.caisse_id.as_str(), r.organism.as_str(), r.value, r.rank))
        .collect();
    if points.is_empty() {
        return None;
    }
    points.sort_by(|a, b| a.3.cmp(&b.3).then(a.0.cmp(b.0)));
    let stats = input.benchmark.iter().find(|b| {
        b.indicator_id == ind.id && b.definition == BENCH && b.year == n && b.scope == "national"
    });
    let national = input
        .values
        .iter()
        .find(|v| {
            v.indicator_id == ind.id
                && v.definition == BENCH
                && v.level == Level::National
                && v.year == n
                && v.month.is_none()
                && v.dimension.is_none()
        })
        .map(|v| v.value);
    let target_of = |organism: &str| {
        input.catalogue.targets.iter().find(|t| {
            t.organism == organism
                && t.indicator == ind.id
                && t.definition == BENCH
                && t.year == n
                && t.dimension_value.is_none()
        })
    };
    let mut lo = points.iter().map(|p| p.2).fold(f64::INFINITY, f64::min);
    let mut hi = points.iter().map(|p| p.2).fold(f64::NEG_INFINITY, f64::max);
    for v in national.iter().copied().chain(
        points
            .iter()
            .filter_map(|p| target_of(p.1).map(|t| t.value)),
    ) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if hi - lo < 1e-9 {
        lo -= 1.0;
        hi += 1.0;
    }
    let pad = (hi - lo) * 0.06;
    let (lo, hi) = (lo - pad, hi + pad);
    let (left, width, row_h, top) = (150.0, 520.0, 16.0, 24.0);
    let height = top + row_h * points.len() as f64 + 28.0;
    let bottom = top + row_h * points.len() as f64;
    let x = |v: f64| left + (v - lo) / (hi - lo) * width;
    let format = Format::of_unit(ind.unit);
    let mut view = ChartView {
        label: &ind.label_fr,
        year: n,
        unit: match ind.unit {
            Unit::Percent => "%",
            Unit::Days => "jours",
            Unit::Eur => "€",
            Unit::Etp => "ETP",
            Unit::Ratio => "ratio",
            Unit::Count => "nombre",
            Unit::Pt => "points",
        },
        better: match ind.direction {
            Direction::Higher => "plus haut = mieux",
            Direction::Lower => "plus bas = mieux",
            Direction::None => "sans sens",
        },
        width: (left + width + 20.0).to_string(),
        height: height.to_string(),
        top: top.to_string(),
        bottom: bottom.to_string(),
        band: stats.map(|s| BandView {
            x: tenth(x(s.p25)),
            width: tenth((x(s.p75) - x(s.p25)).max(1.0)),
            height: tenth(bottom - top),
            median: tenth(x(s.median)),
        }),
        axis: (0..=4)
            .map(|i| {
                let v = lo + (hi - lo) * i as f64 / 4.0;
                AxisTick {
                    x: tenth(x(v)),
                    label: format.french(v),
                }
            })
            .collect(),
        axis_y: tenth(bottom + 14.0),
        national: national.map(|v| NationalView {
            x: tenth(x(v)),
            y1: tenth(top - 6.0),
            label_y: tenth(top - 9.0),
            label: format.french(v),
        }),
        caisse_x: tenth(left - 6.0),
        points: Vec::with_capacity(points.len()),
    };
    for (i, (caisse, organism, value, _)) in points.into_iter().enumerate() {
        let y = top + row_h * (i as f64 + 0.5);
        let target = target_of(organism);
        view.points.push(PointView {
            caisse,
            organism,
            class: match target {
                Some(t) if t.op.met(value, t.value) => "met",
                Some(_) => "missed",
                None => "none",
            },
            x: tenth(x(value)),
            y: tenth(y),
            label_y: tenth(y + 4.0),
            value: format.french(value),
            target: target.map(|t| TargetTick {
                x: tenth(x(t.value)),
                y1: tenth(y - 6.0),
                y2: tenth(y + 6.0),
            }),
        });
    }
    Some(view)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::annex::Row;

    /// The table partial, whitespace included, and the escape of the data: `&`, `<`, `>`, `"`
    /// escaped, `'` and `/` kept.
    #[test]
    fn table_partial_escapes_the_data() {
        let table = Table {
            key: "B",
            title: "<b>R&D</b> \"d'objectifs\"".into(),
            organism_header: String::new(),
            indicator_header: "Indicateurs".into(),
            columns: vec!["2023/2024".into()],
            rows: vec![Row {
                organism: "<script>".into(),
                indicator: "Taux d'appels".into(),
                cells: vec![Cell::Text("x<y".into())],
                total: false,
            }],
            notes: vec!["a & b".into()],
            grouped_by_indicator: false,
        };
        let html = TEMPLATES
            .get_template("table.html.j2")
            .unwrap()
            .render(minijinja::context! { table => Serde(TableView::of(&table)) })
            .unwrap();
        assert_eq!(
            html,
            "<section id=\"table-B\" class=\"table\"><h2>B · &lt;b&gt;R&amp;D&lt;/b&gt; &quot;d'objectifs&quot;</h2>\n\
             <table>\n\
             <thead><tr><th></th><th>Indicateurs</th><th>2023/2024</th></tr></thead>\n\
             <tbody>\n\
             <tr class=\"first\"><th scope=\"row\">&lt;script&gt;</th><td class=\"label\">Taux d'appels</td><td class=\"num\">x&lt;y</td></tr>\n\
             </tbody></table>\n\
             <p class=\"note\">a &amp; b</p>\n\
             </section>\n"
        );
    }
}
