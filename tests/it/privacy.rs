//! No personal identifier reaches an output. Extracts may carry a NIR and names in extra
//! columns (the contract allows extra columns); parangon reads only the contract's columns, and
//! rejects carry the row's key and reason, not the row. This test runs the binary on such
//! extracts — including rows that are rejected — and searches every byte of every output,
//! decoded: every Parquet column as text, the manifest, the HTML, and the unzipped Excel file.

use std::io::Read;
use std::path::Path;
use std::process::Command;

use crate::common::*;
use parangon::arrow::array::AsArray;
use parangon::arrow::compute::cast;
use parangon::arrow::datatypes::DataType;
use parangon::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

const NIR: &str = "1840399123456";
const NAME: &str = "DUPONT-MARTINEAU";

fn all_text(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    let name = path.to_string_lossy();
    if name.ends_with(".parquet") {
        let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
            .unwrap()
            .build()
            .unwrap();
        let mut text = String::new();
        for batch in reader {
            for column in batch.unwrap().columns() {
                let strings = cast(column, &DataType::Utf8).unwrap();
                for v in strings.as_string::<i32>().iter().flatten() {
                    text.push_str(v);
                    text.push('\n');
                }
            }
        }
        text
    } else if name.ends_with(".xlsx") {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut text = String::new();
        for i in 0..archive.len() {
            archive
                .by_index(i)
                .unwrap()
                .read_to_string(&mut text)
                .unwrap();
        }
        text
    } else {
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

#[test]
fn no_personal_identifier_in_any_output() {
    let f = Fixture::new(&[("CPAM-A", "CNAM", false)]);
    let n = 4;
    f.table(
        "claims",
        "part-0.parquet",
        vec![
            ("claim_id", ids("C", n)),
            // Row 4 is rejected (unknown caisse): its reject must not carry the NIR either.
            (
                "caisse_id",
                text(&[
                    Some("CPAM-A"),
                    Some("CPAM-A"),
                    Some("CPAM-A"),
                    Some("CPAM-Z"),
                ]),
            ),
            ("kind", same_text("FSE", n)),
            ("received_date", dates(&[Some("2024-03-01"); 4])),
            ("paid_date", dates(&[Some("2024-03-04"); 4])),
            ("amount", floats(&[Some(12.5); 4])),
            ("nir", same_text(NIR, n)),
            ("nom", same_text(NAME, n)),
        ],
    );
    let out = f.path().join("out");
    let status = Command::new(env!("CARGO_BIN_EXE_parangon"))
        .args([
            "-q",
            "run",
            "--input",
            f.path().to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap();
    assert!(status.success());
    let mut files = Vec::new();
    let mut stack = vec![out.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p)
            } else {
                files.push(p)
            }
        }
    }
    assert!(files.len() >= 10, "{files:?}");
    // Control: the same scanner does find the identifiers where they are (the input).
    let input = all_text(&f.path().join("claims/part-0.parquet"));
    assert!(input.contains(NIR) && input.contains(NAME));
    let mut rejects_seen = false;
    for file in &files {
        let text = all_text(file);
        assert!(
            !text.contains(NIR) && !text.contains(NAME),
            "{} carries personal data",
            file.display()
        );
        if file.to_string_lossy().contains("rejects/claims") {
            rejects_seen = text.contains("unknown caisse 'CPAM-Z'");
        }
    }
    assert!(
        rejects_seen,
        "the rejected row is in rejects (without its NIR)"
    );
    // The manifest traces each input file by its BLAKE3 (what `b3sum FILE` prints).
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let input = &manifest["inputs"]["tables"][0]["files"][0];
    let expected =
        blake3::hash(&std::fs::read(f.path().join("claims/part-0.parquet")).unwrap()).to_hex();
    assert_eq!(input["blake3"].as_str(), Some(expected.as_str()));
    assert_eq!(
        manifest["inputs"]["reference"]["blake3"]
            .as_str()
            .map(str::len),
        Some(64)
    );
}
