//! `reference/caisses`: the caisses and their organism (extracts.md). It is small, read whole,
//! and must be clean: every fact row is checked against it, so a bad reference is an error.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Date32Type};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::source::InputRoot;
use crate::error::IngestError;

/// One caisse of the reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caisse {
    pub caisse_id: String,
    pub name: String,
    pub organism: String,
    pub region: Option<String>,
    /// Local law calendar: Good Friday and 26 December are holidays.
    pub alsace_moselle: bool,
    /// The caisse's as-of date (Date32 days), when the reference gives it (`extract_date`):
    /// the last day its extracts cover completely. `None`: derived per table from the data.
    pub extract_date: Option<i32>,
}

/// The caisse reference, sorted by `caisse_id`.
#[derive(Debug, Clone, Default)]
pub struct Reference {
    pub caisses: Vec<Caisse>,
    index: HashMap<String, usize>,
    /// The file it was read from (relative to the input root).
    pub file: String,
}

impl Reference {
    pub fn new(mut caisses: Vec<Caisse>, file: String) -> Result<Self, IngestError> {
        caisses.sort_by(|a, b| a.caisse_id.cmp(&b.caisse_id));
        let mut index = HashMap::with_capacity(caisses.len());
        for (i, c) in caisses.iter().enumerate() {
            for (column, v) in [("caisse_id", &c.caisse_id), ("organism", &c.organism)] {
                if v.trim().is_empty() {
                    return Err(IngestError::Reference {
                        file: file.clone(),
                        message: format!("row for caisse '{}': empty {column}", c.caisse_id),
                    });
                }
            }
            let (first, last) = crate::contract::PLAUSIBLE_DAYS;
            if let Some(d) = c.extract_date
                && !(first..=last).contains(&d)
            {
                return Err(IngestError::Reference {
                    file: file.clone(),
                    message: format!(
                        "caisse '{}': extract_date {} is outside 1950-01-01 to 2099-12-31",
                        c.caisse_id,
                        crate::calendar::try_to_date(d)
                            .map_or_else(|| d.to_string(), |x| x.to_string())
                    ),
                });
            }
            if index.insert(c.caisse_id.clone(), i).is_some() {
                return Err(IngestError::Reference {
                    file: file.clone(),
                    message: format!("caisse_id '{}' is listed twice", c.caisse_id),
                });
            }
        }
        Ok(Self {
            caisses,
            index,
            file,
        })
    }

    /// Position of a caisse in `caisses`.
    pub fn index_of(&self, caisse_id: &str) -> Option<usize> {
        self.index.get(caisse_id).copied()
    }

    pub fn get(&self, caisse_id: &str) -> Option<&Caisse> {
        self.index.get(caisse_id).map(|&i| &self.caisses[i])
    }

    /// Organisms, sorted.
    pub fn organisms(&self) -> Vec<String> {
        let mut v: Vec<String> = self.caisses.iter().map(|c| c.organism.clone()).collect();
        v.sort();
        v.dedup();
        v
    }

    /// Reads `reference/caisses.csv` or `reference/caisses.parquet` (CSV first if both exist).
    pub async fn load(root: &InputRoot) -> Result<Arc<Self>, IngestError> {
        let files = root.list("reference").await?;
        let pick = |name: &str| files.iter().find(|m| m.location.as_ref() == name);
        if let Some(meta) = pick("reference/caisses.csv") {
            let bytes = root.read_all(&meta.location).await?;
            return Ok(Arc::new(Self::from_csv(
                &bytes,
                &root.describe(&meta.location),
            )?));
        }
        if let Some(meta) = pick("reference/caisses.parquet") {
            let bytes = root.read_all(&meta.location).await?;
            return Ok(Arc::new(Self::from_parquet(
                bytes,
                &root.describe(&meta.location),
            )?));
        }
        Err(IngestError::NoReference {
            root: root.display.clone(),
        })
    }

    fn from_csv(bytes: &[u8], file: &str) -> Result<Self, IngestError> {
        let err = |message: String| IngestError::Reference {
            file: file.to_string(),
            message,
        };
        let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
        let headers = reader.headers().map_err(|e| err(e.to_string()))?.clone();
        let position = |name: &str| headers.iter().position(|h| h.trim() == name);
        let required = |name: &str| {
            position(name)
                .ok_or_else(|| err(format!("missing column '{name}' (header: {headers:?})")))
        };
        let (id, name, organism) = (
            required("caisse_id")?,
            required("name")?,
            required("organism")?,
        );
        let (region, alsace) = (position("region"), position("alsace_moselle"));
        let extract = position("extract_date");
        let mut caisses = Vec::new();
        for (n, record) in reader.records().enumerate() {
            let row = n + 2; // 1-based, after the header line
            let record = record.map_err(|e| err(format!("line {row}: {e}")))?;
            let field = |i: usize| record.get(i).unwrap_or("").trim().to_string();
            let alsace_moselle = match alsace.map(field).as_deref() {
                None | Some("") => false,
                Some("true" | "TRUE" | "True" | "1") => true,
                Some("false" | "FALSE" | "False" | "0") => false,
                Some(other) => {
                    return Err(err(format!(
                        "line {row}: alsace_moselle must be true or false, found '{other}'"
                    )));
                }
            };
            let extract_date = match extract.map(field).as_deref() {
                None | Some("") => None,
                Some(text) => Some(
                    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                        .map(crate::calendar::from_date)
                        .map_err(|_| {
                            err(format!(
                                "line {row}: extract_date must be a date YYYY-MM-DD, found '{text}'"
                            ))
                        })?,
                ),
            };
            caisses.push(Caisse {
                caisse_id: field(id),
                name: field(name),
                organism: field(organism),
                region: region.map(field).filter(|s| !s.is_empty()),
                alsace_moselle,
                extract_date,
            });
        }
        Self::new(caisses, file.to_string())
    }

    fn from_parquet(bytes: bytes::Bytes, file: &str) -> Result<Self, IngestError> {
        let err = |message: String| IngestError::Reference {
            file: file.to_string(),
            message,
        };
        let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
            .map_err(|e| IngestError::NotParquet {
                file: file.to_string(),
                message: e.to_string(),
            })?
            .build()
            .map_err(|e| err(e.to_string()))?;
        let mut caisses = Vec::new();
        for batch in reader {
            let batch = batch.map_err(|e| err(e.to_string()))?;
            let strings =
                |name: &str, required: bool| -> Result<Option<Vec<Option<String>>>, IngestError> {
                    strings_of(&batch, name)
                        .map_err(&err)
                        .and_then(|v| match v {
                            None if required => Err(err(format!("missing column '{name}'"))),
                            v => Ok(v),
                        })
                };
            let ids = strings("caisse_id", true)?.unwrap_or_default();
            let names = strings("name", true)?.unwrap_or_default();
            let orgs = strings("organism", true)?.unwrap_or_default();
            let regions = strings("region", false)?;
            let alsace = match batch.column_by_name("alsace_moselle") {
                None => None,
                Some(a) if a.data_type() == &DataType::Boolean => Some(a.as_boolean().clone()),
                Some(a) => {
                    return Err(err(format!(
                        "column 'alsace_moselle' has type {}, expected bool",
                        a.data_type()
                    )));
                }
            };
            let extract = match batch.column_by_name("extract_date") {
                None => None,
                Some(a)
                    if matches!(
                        a.data_type(),
                        DataType::Date32 | DataType::Date64 | DataType::Null
                    ) =>
                {
                    let days = cast(a, &DataType::Date32).map_err(|e| err(e.to_string()))?;
                    Some(days.as_primitive::<Date32Type>().clone())
                }
                Some(a) => {
                    return Err(err(format!(
                        "column 'extract_date' has type {}, expected date32",
                        a.data_type()
                    )));
                }
            };
            for i in 0..batch.num_rows() {
                caisses.push(Caisse {
                    caisse_id: ids[i].clone().unwrap_or_default(),
                    name: names[i].clone().unwrap_or_default(),
                    organism: orgs[i].clone().unwrap_or_default(),
                    region: regions.as_ref().and_then(|r| r[i].clone()),
                    alsace_moselle: alsace.as_ref().is_some_and(|a| a.is_valid(i) && a.value(i)),
                    extract_date: extract
                        .as_ref()
                        .and_then(|a| a.is_valid(i).then(|| a.value(i))),
                });
            }
        }
        Self::new(caisses, file.to_string())
    }
}

fn strings_of(batch: &RecordBatch, name: &str) -> Result<Option<Vec<Option<String>>>, String> {
    let Some(column) = batch.column_by_name(name) else {
        return Ok(None);
    };
    let utf8 = cast(column, &DataType::Utf8)
        .map_err(|e| format!("column '{name}' is not text ({}): {e}", column.data_type()))?;
    Ok(Some(
        utf8.as_string::<i32>()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect(),
    ))
}

/// Used by tests and the generator: writes the reference as CSV text (with an
/// `extract_date` column only when some caisse has one).
pub fn to_csv(caisses: &[Caisse]) -> String {
    let dated = caisses.iter().any(|c| c.extract_date.is_some());
    let mut out = String::from("caisse_id,name,organism,region,alsace_moselle");
    out.push_str(if dated { ",extract_date\n" } else { "\n" });
    for c in caisses {
        out.push_str(&format!(
            "{},{},{},{},{}",
            c.caisse_id,
            csv_field(&c.name),
            c.organism,
            csv_field(c.region.as_deref().unwrap_or("")),
            c.alsace_moselle
        ));
        if dated {
            let date = c
                .extract_date
                .map(|d| crate::calendar::to_date(d).to_string());
            out.push_str(&format!(",{}", date.unwrap_or_default()));
        }
        out.push('\n');
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_round_trip_and_defaults() {
        let caisses = vec![
            Caisse {
                caisse_id: "CPAM-67".into(),
                name: "CPAM du Bas-Rhin, Strasbourg".into(),
                organism: "CNAM".into(),
                region: Some("Grand Est".into()),
                alsace_moselle: true,
                extract_date: None,
            },
            Caisse {
                caisse_id: "CAVIMAC".into(),
                name: "Cavimac".into(),
                organism: "CAVIMAC".into(),
                region: None,
                alsace_moselle: false,
                extract_date: None,
            },
        ];
        let r = Reference::from_csv(to_csv(&caisses).as_bytes(), "reference/caisses.csv").unwrap();
        assert_eq!(r.caisses[0].caisse_id, "CAVIMAC"); // sorted
        assert_eq!(r.get("CPAM-67"), Some(&caisses[0]));
        assert_eq!(r.organisms(), vec!["CAVIMAC", "CNAM"]);
    }

    #[test]
    fn extract_date_is_read_when_given() {
        let mut caisses = vec![
            Caisse {
                caisse_id: "A".into(),
                name: "a".into(),
                organism: "X".into(),
                region: None,
                alsace_moselle: false,
                extract_date: Some(crate::calendar::ymd(2026, 5, 27)),
            },
            Caisse {
                caisse_id: "B".into(),
                name: "b".into(),
                organism: "X".into(),
                region: None,
                alsace_moselle: false,
                extract_date: None,
            },
        ];
        let text = to_csv(&caisses);
        assert!(text.starts_with("caisse_id,name,organism,region,alsace_moselle,extract_date\n"));
        assert!(text.contains("A,a,X,,false,2026-05-27\n") && text.contains("B,b,X,,false,\n"));
        let r = Reference::from_csv(text.as_bytes(), "reference/caisses.csv").unwrap();
        assert_eq!(r.caisses, caisses);
        // Without any date, the column is not written, and a reference without it reads None.
        caisses[0].extract_date = None;
        assert!(!to_csv(&caisses).contains("extract_date"));
        let r = Reference::from_csv(to_csv(&caisses).as_bytes(), "c.csv").unwrap();
        assert_eq!(r.caisses[0].extract_date, None);
        // A date that is not one is an error naming the line.
        let bad = "caisse_id,name,organism,extract_date\nA,a,X,27/05/2026\n";
        let e = Reference::from_csv(bad.as_bytes(), "c.csv").unwrap_err();
        assert!(e.to_string().contains("line 2: extract_date"), "{e}");
        let absurd = "caisse_id,name,organism,extract_date\nA,a,X,2200-12-31\n";
        let e = Reference::from_csv(absurd.as_bytes(), "c.csv").unwrap_err();
        assert!(e.to_string().contains("outside 1950-01-01"), "{e}");
    }

    #[test]
    fn duplicate_caisse_is_an_error() {
        let text = "caisse_id,name,organism\nA,a,X\nA,b,X\n";
        let e = Reference::from_csv(text.as_bytes(), "reference/caisses.csv").unwrap_err();
        assert!(e.to_string().contains("listed twice"), "{e}");
        let text = "caisse_id,name,organism,alsace_moselle\nA,a,X,oui\n";
        let e = Reference::from_csv(text.as_bytes(), "reference/caisses.csv").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
    }
}
