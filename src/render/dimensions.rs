//! The dimension tables for BI tools: `dim_indicator` (labels, unit, direction, source table,
//! method, origin and theme of every definition) and `dim_caisse` (the caisse → organism hierarchy),
//! and reading `dim_caisse` back for `parangon annex`.

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, BooleanArray, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};

use crate::error::PublishError;
use crate::ingest::Caisse;
use crate::model::{Catalogue, Indicator};
use crate::publish::parquet::read_file;

/// `dim_indicator`: labels and metadata, so BI tools show French or English names; `theme`, the
/// indicator's theme tag (indicators-v2 §1.8), is the last column.
pub fn dim_indicator(catalogue: &Catalogue) -> RecordBatch {
    let i = &catalogue.indicators;
    let text = |f: fn(&Indicator) -> String| {
        Arc::new(StringArray::from_iter_values(i.iter().map(f))) as Arc<dyn Array>
    };
    let schema = Schema::new(
        [
            "indicator_id",
            "definition",
            "label_fr",
            "label_en",
            "unit",
            "direction",
            "source_table",
            "method",
            "origin",
            "theme",
        ]
        .iter()
        .map(|n| Field::new(*n, DataType::Utf8, false))
        .collect::<Vec<_>>(),
    );
    RecordBatch::try_new(
        Arc::new(schema),
        vec![
            text(|x| x.id.clone()),
            text(|x| x.definition.clone()),
            text(|x| x.label_fr.clone()),
            text(|x| x.label_en.clone()),
            text(|x| x.unit.as_str().to_string()),
            text(|x| x.direction.as_str().to_string()),
            text(|x| x.table.clone()),
            text(|x| x.method.as_str().to_string()),
            text(|x| x.origin.clone()),
            Arc::new(StringArray::from_iter_values(
                i.iter().map(|x| catalogue.theme_of(&x.id).as_str()),
            )),
        ],
    )
    .expect("dim_indicator columns")
}

/// `dim_caisse`: the caisse → organism hierarchy, region and calendar.
pub fn dim_caisse(caisses: &[Caisse]) -> RecordBatch {
    let schema = Schema::new(vec![
        Field::new("caisse_id", DataType::Utf8, false),
        Field::new("name", DataType::Utf8, false),
        Field::new("organism", DataType::Utf8, false),
        Field::new("region", DataType::Utf8, true),
        Field::new("alsace_moselle", DataType::Boolean, false),
    ]);
    RecordBatch::try_new(
        Arc::new(schema),
        vec![
            Arc::new(StringArray::from_iter_values(
                caisses.iter().map(|c| c.caisse_id.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                caisses.iter().map(|c| c.name.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                caisses.iter().map(|c| c.organism.as_str()),
            )),
            Arc::new(StringArray::from_iter(
                caisses.iter().map(|c| c.region.as_deref()),
            )),
            Arc::new(BooleanArray::from(
                caisses.iter().map(|c| c.alsace_moselle).collect::<Vec<_>>(),
            )),
        ],
    )
    .expect("dim_caisse columns")
}

/// Reads `dim_caisse` of an output folder.
pub fn read_dim_caisse(output: &Path) -> Result<Vec<Caisse>, PublishError> {
    let mut out = Vec::new();
    for b in read_file(&output.join("dim_caisse/part-00000.parquet"))? {
        let s = |name: &str| {
            b.column_by_name(name)
                .expect("dim_caisse column")
                .as_string::<i32>()
                .clone()
        };
        let (id, name, org, region) = (s("caisse_id"), s("name"), s("organism"), s("region"));
        let am = b
            .column_by_name("alsace_moselle")
            .expect("alsace_moselle")
            .as_boolean()
            .clone();
        for i in 0..b.num_rows() {
            out.push(Caisse {
                caisse_id: id.value(i).to_string(),
                name: name.value(i).to_string(),
                organism: org.value(i).to_string(),
                region: region.is_valid(i).then(|| region.value(i).to_string()),
                alsace_moselle: am.value(i),
                extract_date: None,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CatalogueSource;

    /// `theme` is the last column of `dim_indicator`, the tag of `pipelines/themes.toml`.
    #[test]
    fn dim_indicator_ends_with_the_theme() {
        let catalogue = crate::pipelines::load(&CatalogueSource::Embedded).unwrap();
        let batch = dim_indicator(&catalogue);
        let schema = batch.schema();
        let last = schema.fields().last().unwrap();
        assert_eq!(last.name(), "theme");
        let ids = batch.column(0).as_string::<i32>();
        let themes = batch.column(batch.num_columns() - 1).as_string::<i32>();
        let theme_of = |id: &str| {
            (0..batch.num_rows())
                .find(|&i| ids.value(i) == id)
                .map(|i| themes.value(i).to_string())
                .unwrap()
        };
        assert_eq!(theme_of("unit_cost"), "costs_productivity");
        assert_eq!(theme_of("controls_tif"), "controls");
        assert_eq!(theme_of("claims_fse_delay_mean"), "processing_times");
        assert_eq!(theme_of("absenteeism_short_rate"), "hr");
        assert_eq!(theme_of("contributions_remaining_rate"), "other");
    }
}
