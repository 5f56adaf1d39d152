//! Parquet for BI tools (outputs.md; ecosystem.md §3.2): zstd, dictionary encoding, row groups
//! of at most 1 Mi rows, page statistics, and a fixed `created_by`, so that the same batch
//! always encodes to the same bytes.

use std::path::Path;

use bytes::Bytes;
use datafusion::arrow::array::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::errors::ParquetError;
use datafusion::parquet::file::properties::{EnabledStatistics, WriterProperties};
use datafusion::parquet::file::reader::{FileReader, SerializedFileReader};

use crate::error::PublishError;

/// Writer settings shared by every output table.
pub fn properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(3).expect("valid level"),
        ))
        .set_dictionary_enabled(true)
        .set_max_row_group_row_count(Some(1024 * 1024))
        .set_statistics_enabled(EnabledStatistics::Page)
        // Without the library version inside, an upgrade of the parquet crate alone does not
        // change the bytes of unchanged results.
        .set_created_by(format!("parangon {}", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Encodes one batch as a whole Parquet file.
pub fn encode(batch: &RecordBatch) -> Result<Vec<u8>, ParquetError> {
    let mut buffer = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut buffer, batch.schema(), Some(properties()))?;
    writer.write(batch)?;
    writer.close()?;
    Ok(buffer)
}

/// Rows of an encoded Parquet file (`None` if the bytes are not Parquet).
pub fn row_count(bytes: &[u8]) -> Option<u64> {
    let reader = SerializedFileReader::new(Bytes::copy_from_slice(bytes)).ok()?;
    u64::try_from(reader.metadata().file_metadata().num_rows()).ok()
}

/// The record batches of a Parquet file of an output folder (`parangon annex` reads its
/// results back).
pub fn read_file(path: &Path) -> Result<Vec<RecordBatch>, PublishError> {
    let io = |e: std::io::Error| PublishError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let encode = |message: String| PublishError::Encode {
        what: path.display().to_string(),
        message,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| encode(e.to_string()))?
        .build()
        .map_err(|e| encode(e.to_string()))?
        .map(|b| b.map_err(|e| encode(e.to_string())))
        .collect()
}
