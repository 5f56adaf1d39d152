//! `annex.html`: one self-contained page (no script, font or image from the network), readable on
//! screen and printable: the four annex tables, then for each harmonised indicator a chart of the
//! caisses against their organism's target and the national value, with the spread (quartiles).

use std::fmt::Write as _;

use super::{AnnexInput, Cell, Format, Table};
use crate::model::{BENCH, Direction, Level};

/// The page.
pub fn page(input: &AnnexInput, tables: &[Table], title: &str) -> String {
    let mut out = String::new();
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n<p class=\"lead\">Année N = {} · valeurs calculées par parangon à partir des extraits ; « s » : valeur non publiée (secret statistique).</p>\n<nav>",
        escape(title),
        escape(title),
        input.year
    )
    .ok();
    for t in tables {
        write!(
            out,
            "<a href=\"#table-{}\">{} · {}</a> ",
            t.key,
            t.key,
            escape(&t.title)
        )
        .ok();
    }
    out.push_str("<a href=\"#charts\">Graphiques</a></nav>\n");
    for t in tables {
        render_table(&mut out, t);
    }
    out.push_str("<section id=\"charts\"><h2>Dispersion des caisses, par indicateur harmonisé</h2>\n<p class=\"legend\"><span class=\"dot met\"></span> objectif atteint <span class=\"dot missed\"></span> non atteint <span class=\"dot none\"></span> sans objectif · <span class=\"line national\"></span> valeur nationale · <span class=\"tick\"></span> objectif de l'organisme · bande grise : 1er au 3e quartile des caisses</p>\n");
    for ind in input
        .catalogue
        .indicators
        .iter()
        .filter(|i| i.definition == BENCH)
    {
        chart(&mut out, input, ind);
    }
    out.push_str("</section>\n</body>\n</html>\n");
    out
}

fn render_table(out: &mut String, t: &Table) {
    write!(out, "<section id=\"table-{}\" class=\"table\"><h2>{} · {}</h2>\n<table>\n<thead><tr><th>{}</th>", t.key, t.key, escape(&t.title), escape(&t.organism_header)).ok();
    if !t.indicator_header.is_empty() {
        write!(out, "<th>{}</th>", escape(&t.indicator_header)).ok();
    }
    for c in &t.columns {
        write!(out, "<th>{}</th>", escape(c)).ok();
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (i, row) in t.rows.iter().enumerate() {
        let (organism, indicator) = t.labels(i);
        let class = if row.total {
            " class=\"total\""
        } else if t.starts_group(i) {
            " class=\"first\""
        } else {
            ""
        };
        write!(
            out,
            "<tr{class}><th scope=\"row\">{}</th>",
            escape(organism)
        )
        .ok();
        if !t.indicator_header.is_empty() {
            write!(out, "<td class=\"label\">{}</td>", escape(indicator)).ok();
        }
        for cell in &row.cells {
            let class = match cell {
                Cell::Grey => "grey",
                Cell::Met(true) => "met",
                Cell::Met(false) => "missed",
                Cell::Masked => "masked",
                _ => "num",
            };
            write!(
                out,
                "<td class=\"{class}\">{}</td>",
                escape(&cell.display())
            )
            .ok();
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
    for n in &t.notes {
        writeln!(out, "<p class=\"note\">{}</p>", escape(n)).ok();
    }
    out.push_str("</section>\n");
}

/// A dot plot: one line per caisse (best at the top), its value, its organism's target for the
/// year (when the target is on the bench definition), the national value and the quartile band.
fn chart(out: &mut String, input: &AnnexInput, ind: &crate::model::Indicator) {
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
        return;
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
    let x = |v: f64| left + (v - lo) / (hi - lo) * width;
    let format = Format::of_unit(ind.unit);
    let better = match ind.direction {
        Direction::Higher => "plus haut = mieux",
        Direction::Lower => "plus bas = mieux",
        Direction::None => "sans sens",
    };
    let unit = match ind.unit {
        crate::model::Unit::Percent => "%",
        crate::model::Unit::Days => "jours",
        crate::model::Unit::Eur => "€",
        crate::model::Unit::Etp => "ETP",
        crate::model::Unit::Ratio => "ratio",
    };
    writeln!(out, "<figure class=\"chart\"><figcaption><b>{}</b> — {} ({}, {better})</figcaption>\n<svg viewBox=\"0 0 {} {height}\" width=\"100%\" role=\"img\" aria-label=\"{}\">", escape(&ind.label_fr), n, unit, left + width + 20.0, escape(&ind.label_fr)).ok();
    let bottom = top + row_h * points.len() as f64;
    if let Some(s) = stats {
        writeln!(out, "<rect class=\"band\" x=\"{:.1}\" y=\"{top}\" width=\"{:.1}\" height=\"{:.1}\"/>\n<line class=\"median\" x1=\"{m:.1}\" x2=\"{m:.1}\" y1=\"{top}\" y2=\"{bottom}\"/>", x(s.p25), (x(s.p75) - x(s.p25)).max(1.0), bottom - top, m = x(s.median)).ok();
    }
    for i in 0..=4 {
        let v = lo + (hi - lo) * i as f64 / 4.0;
        writeln!(out, "<line class=\"grid\" x1=\"{xv:.1}\" x2=\"{xv:.1}\" y1=\"{top}\" y2=\"{bottom}\"/><text class=\"axis\" x=\"{xv:.1}\" y=\"{:.1}\">{}</text>", bottom + 14.0, escape(&format.french(v)), xv = x(v)).ok();
    }
    if let Some(v) = national {
        writeln!(out, "<line class=\"national\" x1=\"{xv:.1}\" x2=\"{xv:.1}\" y1=\"{:.1}\" y2=\"{bottom}\"/><text class=\"national-label\" x=\"{xv:.1}\" y=\"{:.1}\">France {}</text>", top - 6.0, top - 9.0, escape(&format.french(v)), xv = x(v)).ok();
    }
    for (i, (caisse, organism, value, _)) in points.iter().enumerate() {
        let y = top + row_h * (i as f64 + 0.5);
        let target = target_of(organism);
        let class = match target {
            Some(t) if t.op.met(*value, t.value) => "met",
            Some(_) => "missed",
            None => "none",
        };
        write!(
            out,
            "<text class=\"caisse\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            left - 6.0,
            y + 4.0,
            escape(caisse)
        )
        .ok();
        if let Some(t) = target {
            write!(
                out,
                "<line class=\"tick\" x1=\"{xt:.1}\" x2=\"{xt:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>",
                y - 6.0,
                y + 6.0,
                xt = x(t.value)
            )
            .ok();
        }
        writeln!(out, "<circle class=\"{class}\" cx=\"{:.1}\" cy=\"{y:.1}\" r=\"4.5\"><title>{} ({}) : {}</title></circle>", x(*value), escape(caisse), escape(organism), escape(&format.french(*value))).ok();
    }
    out.push_str("</svg></figure>\n");
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STYLE: &str = r#"
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 13px; color: #1d1d1d; margin: 24px auto; max-width: 1100px; padding: 0 16px; }
h1 { font-size: 22px; color: #1f3864; } h2 { font-size: 16px; color: #1f3864; border-bottom: 2px solid #1f3864; padding-bottom: 3px; margin-top: 28px; }
.lead, .note, .legend { color: #444; } .note { font-size: 11px; margin: 4px 0; }
nav a { margin-right: 12px; color: #1f3864; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #b7b7b7; padding: 3px 6px; vertical-align: top; }
thead th { background: #dce6f1; }
tbody th { text-align: left; font-weight: bold; white-space: nowrap; }
td.num, td.masked { text-align: right; white-space: nowrap; }
td.grey { background: #bfbfbf; }
td.met { color: #1e7b34; } td.missed { color: #c00000; font-weight: bold; }
tr.total th, tr.total td { font-weight: bold; background: #f2f2f2; }
tr.first th, tr.first td { border-top: 2px solid #7f7f7f; }
figure.chart { margin: 18px 0; page-break-inside: avoid; }
figcaption { margin-bottom: 4px; }
svg text { font-size: 10px; font-family: inherit; }
.caisse { text-anchor: end; } .axis { text-anchor: middle; fill: #555; }
.grid { stroke: #e4e4e4; } .band { fill: #e8e8e8; } .median { stroke: #9a9a9a; stroke-dasharray: 3 2; }
.national { stroke: #1f3864; stroke-width: 2; } .national-label { fill: #1f3864; text-anchor: middle; font-weight: bold; }
.tick { stroke: #e46c0a; stroke-width: 3; }
circle.met { fill: #1e7b34; } circle.missed { fill: #c00000; } circle.none { fill: #595959; }
.dot { display: inline-block; width: 9px; height: 9px; border-radius: 50%; margin: 0 3px 0 10px; }
.dot.met { background: #1e7b34; } .dot.missed { background: #c00000; } .dot.none { background: #595959; }
.line.national { display: inline-block; width: 14px; height: 2px; background: #1f3864; margin: 0 3px 3px 10px; }
span.tick { display: inline-block; width: 3px; height: 11px; background: #e46c0a; margin: 0 3px 0 10px; }
@media print { body { margin: 0; max-width: none; } nav { display: none; } section.table { page-break-after: always; } }
"#;
