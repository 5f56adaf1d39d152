//! Discovery: a table's files, listed in path order ([`InputRoot::list`]), and the schema check
//! of each one — its footer only, no row is read yet.
//!
//! A present table with a wrong schema is an error that names the file, the column, the
//! expected and the found type (extracts.md, "Layout"): a required column missing, or a
//! column of a type the contract does not accept, stops the run. A nullable column absent
//! from a file is only a warning: it is read as all null.

use datafusion::object_store::ObjectMeta;
use datafusion::parquet::arrow::ParquetRecordBatchStreamBuilder;
// Deprecated in parquet 59 in favour of hand-written `AsyncFileReader`s; it is still the
// object_store-backed reader of this version and does exactly what we need.
#[allow(deprecated)]
use datafusion::parquet::arrow::async_reader::ParquetObjectReader;

use super::source::InputRoot;
use crate::contract::TableSpec;
use crate::error::IngestError;

/// A file of a table, after its footer was read and its schema checked.
#[derive(Debug, Clone)]
pub struct TableFile {
    pub meta: ObjectMeta,
    /// Path relative to the input root.
    pub name: String,
    /// Rows according to the footer.
    pub rows: u64,
    /// For each contract column (contract order): its root index in the file, or `None` when a
    /// nullable column is absent (read as all null).
    pub(super) columns: Vec<Option<usize>>,
}

/// The checked files of a table, in path order.
pub(super) struct Discovered {
    pub files: Vec<TableFile>,
    /// Non-fatal findings (a nullable column absent from a file).
    pub warnings: Vec<String>,
}

/// Lists and checks the files of `spec` under `root`. `Ok(None)`: the folder is absent.
pub(super) async fn discover_files(
    root: &InputRoot,
    spec: &'static TableSpec,
) -> Result<Option<Discovered>, IngestError> {
    let metas = root.list(spec.name).await?;
    if metas.is_empty() {
        return Ok(None);
    }
    let mut files = Vec::with_capacity(metas.len());
    let mut warnings = Vec::new();
    for meta in metas {
        files.push(check_file(root, spec, meta, &mut warnings).await?);
    }
    Ok(Some(Discovered { files, warnings }))
}

/// Reads the footer of one file of `spec` and checks its schema against the contract.
#[allow(deprecated)] // ParquetObjectReader, see the import
async fn check_file(
    root: &InputRoot,
    spec: &'static TableSpec,
    meta: ObjectMeta,
    warnings: &mut Vec<String>,
) -> Result<TableFile, IngestError> {
    let name = root.describe(&meta.location);
    let reader = ParquetObjectReader::new(root.store.clone(), meta.location.clone())
        .with_file_size(meta.size);
    let builder = ParquetRecordBatchStreamBuilder::new(reader)
        .await
        .map_err(|e| IngestError::NotParquet {
            file: name.clone(),
            message: e.to_string(),
        })?;
    let schema = builder.schema().clone();
    let rows = builder.metadata().file_metadata().num_rows().max(0) as u64;
    let mut columns = Vec::with_capacity(spec.columns.len());
    for c in spec.columns {
        match schema.index_of(c.name) {
            Ok(i) => {
                let found = schema.field(i).data_type();
                if !c.ty.accepts(found) {
                    return Err(IngestError::WrongType {
                        file: name,
                        table: spec.name.to_string(),
                        column: c.name.to_string(),
                        expected: c.ty.contract_name(),
                        found: found.to_string(),
                    });
                }
                columns.push(Some(i));
            }
            Err(_) if c.required => {
                return Err(IngestError::MissingColumn {
                    file: name,
                    table: spec.name.to_string(),
                    column: c.name.to_string(),
                    expected: c.ty.contract_name(),
                    nullability: "non-null",
                });
            }
            Err(_) => {
                warnings.push(format!(
                    "{name}: nullable column '{}' is absent; read as null",
                    c.name
                ));
                columns.push(None);
            }
        }
    }
    Ok(TableFile {
        meta,
        name,
        rows,
        columns,
    })
}
