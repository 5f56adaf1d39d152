//! `annex.xlsx`: one sheet per annex table, ready to print — title, frozen header, numbers stored
//! as numbers with number formats (a French Excel shows `12,58 %` and `97 717`), column widths,
//! landscape pages fitted to the width, header repeated on every page.

use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format as XFormat, FormatAlign, FormatBorder, Workbook,
    XlsxError,
};

use super::{Cell, Format, Table};

const HEADER_ROW: u32 = 2;

/// The workbook's bytes. The creation date is fixed so the same tables give the same file.
pub fn workbook(tables: &[Table], title: &str) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let properties = DocProperties::new()
        .set_title(title)
        .set_author("parangon")
        .set_creation_datetime(&ExcelDateTime::from_ymd(2000, 1, 1)?);
    workbook.set_properties(&properties);
    let bold = XFormat::new().set_bold();
    let header = XFormat::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_background_color(Color::RGB(0xDCE6F1))
        .set_border(FormatBorder::Thin);
    let label = XFormat::new()
        .set_text_wrap()
        .set_border(FormatBorder::Thin);
    let grey = XFormat::new()
        .set_background_color(Color::RGB(0xBFBFBF))
        .set_border(FormatBorder::Thin);
    let text = XFormat::new()
        .set_align(FormatAlign::Right)
        .set_border(FormatBorder::Thin);
    let met = XFormat::new()
        .set_font_color(Color::RGB(0x1E7B34))
        .set_border(FormatBorder::Thin);
    let missed = XFormat::new()
        .set_font_color(Color::RGB(0xC00000))
        .set_border(FormatBorder::Thin);
    let section = XFormat::new()
        .set_bold()
        .set_font_color(Color::RGB(0x1F3864))
        .set_background_color(Color::RGB(0xEEF2F8))
        .set_border(FormatBorder::Thin);
    for table in tables {
        let sheet = workbook.add_worksheet();
        sheet.set_name(format!("{} - {}", table.key, sheet_name(table)))?;
        sheet.write_string_with_format(0, 0, &table.title, &bold)?;
        sheet.write_string_with_format(HEADER_ROW, 0, &table.organism_header, &header)?;
        sheet.write_string_with_format(HEADER_ROW, 1, &table.indicator_header, &header)?;
        for (c, name) in table.columns.iter().enumerate() {
            sheet.write_string_with_format(HEADER_ROW, 2 + c as u16, name, &header)?;
        }
        sheet.set_column_width(0, 16)?;
        sheet.set_column_width(
            1,
            if table.indicator_header.is_empty() {
                2
            } else {
                62
            },
        )?;
        for c in 0..table.columns.len() {
            sheet.set_column_width(2 + c as u16, 14)?;
        }
        // Section headings (tables B and E) take a line of their own, across the table.
        let mut at = HEADER_ROW;
        let last_column = 1 + table.columns.len() as u16;
        for (r, row) in table.rows.iter().enumerate() {
            at += 1;
            if let Some(heading) = table.section_start(r) {
                sheet.merge_range(at, 0, at, last_column, heading, &section)?;
                at += 1;
            }
            let row_label = if row.total {
                label.clone().set_bold()
            } else {
                label.clone()
            };
            // The grouping label is printed on its group's first row, as in the annex.
            let (organism, indicator) = table.labels(r);
            sheet.write_string_with_format(at, 0, organism, &row_label)?;
            sheet.write_string_with_format(at, 1, indicator, &row_label)?;
            for (c, cell) in row.cells.iter().enumerate() {
                let col = 2 + c as u16;
                match cell {
                    Cell::Number(v, f) => {
                        let (value, format) = number_format(*v, *f);
                        let format = if row.total { format.set_bold() } else { format };
                        sheet.write_number_with_format(
                            at,
                            col,
                            value,
                            &format.set_border(FormatBorder::Thin),
                        )?;
                    }
                    Cell::Grey => {
                        sheet.write_blank(at, col, &grey)?;
                    }
                    Cell::Met(true) => {
                        sheet.write_string_with_format(at, col, cell.display(), &met)?;
                    }
                    Cell::Met(false) => {
                        sheet.write_string_with_format(at, col, cell.display(), &missed)?;
                    }
                    other => {
                        sheet.write_string_with_format(at, col, other.display(), &text)?;
                    }
                }
            }
        }
        let first_note = at + 2;
        for (at, note) in (first_note..).zip(&table.notes) {
            sheet.write_string(at, 0, note)?;
        }
        sheet.set_freeze_panes(HEADER_ROW + 1, 2)?;
        sheet.set_landscape();
        sheet.set_print_fit_to_pages(1, 0);
        sheet.set_repeat_rows(HEADER_ROW, HEADER_ROW)?;
    }
    workbook.save_to_buffer()
}

/// The stored value and Excel number format of a number: percentages are stored as fractions
/// with a `%` format, so that Excel computes with them.
fn number_format(value: f64, format: Format) -> (f64, XFormat) {
    let (stored, code) = match format {
        Format::Percent => (value / 100.0, "0.00%"),
        Format::Decimal2 => (value, "#,##0.00"),
        Format::Decimal1 => (value, "#,##0.0"),
        Format::Integer => (value, "#,##0"),
        Format::Euro => (value, "#,##0.00\\ \"€\""),
    };
    (stored, XFormat::new().set_num_format(code))
}

fn sheet_name(table: &Table) -> &'static str {
    match table.key {
        "A" => "benchmarking",
        "B" => "résultats COG",
        "C" => "effectifs",
        _ => "objectifs pluriannuels",
    }
}
