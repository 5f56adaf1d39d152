//! End to end: the `parangon` binary on a generated dataset with injected bad rows.

use crate::common::{files_under, ok};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use parangon::arrow::array::{Array, AsArray, RecordBatch};
use parangon::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

fn parangon(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_parangon"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

fn read_parquet(path: &Path) -> Vec<RecordBatch> {
    let file = std::fs::File::open(path).unwrap();
    ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap()
        .map(|b| b.unwrap())
        .collect()
}

#[test]
fn generate_run_reconcile_and_rerun_byte_identical() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (out1, out2) = (tmp.path().join("out1"), tmp.path().join("out2"));
    let s = |p: &Path| p.to_str().unwrap().to_string();
    ok(&parangon(&[
        "generate",
        "--output",
        &s(&data),
        "--caisses",
        "8",
        "--rows-per-caisse",
        "400",
        "--seed",
        "7",
        "--invalid-rate",
        "0.01",
    ]));
    let summary = ok(&parangon(&[
        "run",
        "--input",
        &s(&data),
        "--output",
        &s(&out1),
    ]));
    assert!(summary.contains("indicators"), "{summary}");

    // Rejects reconcile with what the generator broke on purpose.
    let generator: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("generator.json")).unwrap()).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out1.join("manifest.json")).unwrap()).unwrap();
    let tables = manifest["inputs"]["tables"].as_array().unwrap();
    assert_eq!(tables.len(), 11);
    for t in tables {
        let name = t["table"].as_str().unwrap();
        let injected: u64 = generator["invalid"][name]
            .as_object()
            .map_or(0, |m| m.values().map(|v| v.as_u64().unwrap()).sum());
        // Yearly tables (a row per caisse and year) are too small to break on purpose.
        if !["staff", "costs", "contributions"].contains(&name) {
            assert!(injected > 0, "{name}");
        }
        assert_eq!(
            t["rows_rejected"].as_u64().unwrap(),
            injected,
            "{name}: {t}"
        );
        assert_eq!(
            t["rows_read"].as_u64().unwrap(),
            generator["rows"][name].as_u64().unwrap()
        );
        assert_eq!(t["reconciled"], serde_json::Value::Bool(true));
        let rejects = read_parquet(&out1.join(format!("rejects/{name}/part-00000.parquet")));
        let rows: usize = rejects.iter().map(|b| b.num_rows()).sum();
        assert_eq!(rows as u64, injected);
    }

    // indicator_values: the nine indicators of the foundation at the three levels, months and years.
    let mut seen: BTreeMap<(String, String, bool), usize> = BTreeMap::new();
    for year in [2023, 2024] {
        let path = out1.join(format!("indicator_values/year={year}/part-00000.parquet"));
        for batch in read_parquet(&path) {
            let ids = batch
                .column_by_name("indicator_id")
                .unwrap()
                .as_string::<i32>()
                .clone();
            let defs = batch
                .column_by_name("definition")
                .unwrap()
                .as_string::<i32>()
                .clone();
            let levels = batch
                .column_by_name("level")
                .unwrap()
                .as_string::<i32>()
                .clone();
            let months = batch.column_by_name("month").unwrap().clone();
            let years = batch
                .column_by_name("year")
                .unwrap()
                .as_primitive::<parangon::arrow::datatypes::Int32Type>()
                .clone();
            for i in 0..batch.num_rows() {
                assert_eq!(
                    years.value(i),
                    year,
                    "partition column kept inside the file"
                );
                if defs.value(i) == "bench" {
                    *seen
                        .entry((
                            ids.value(i).to_string(),
                            levels.value(i).to_string(),
                            months.is_null(i),
                        ))
                        .or_default() += 1;
                }
            }
        }
    }
    for id in [
        "claims_fse_delay_mean",
        "claims_fsp_delay_mean",
        "claims_fse_delay_p90",
        "claims_fsp_delay_p90",
        "claims_fse_paid_within_7d",
        "claims_ij_delay_mean",
        "calls_reached_rate",
        "calls_agent_answer_rate",
        "emails_within_48h",
        "pensions_dp_paid_within_60d",
        "pensions_aspa_notified_within_4m",
        "pensions_dd_notified_within_4m",
        "pensions_paid_without_gap",
        "pensions_online_share",
        "reclamations_within_deadline",
        "reclamations_delay_mean",
        "reclamations_within_10d",
    ] {
        for level in ["caisse", "organism", "national"] {
            for yearly in [true, false] {
                assert!(
                    seen.contains_key(&(id.to_string(), level.to_string(), yearly)),
                    "{id} {level} yearly={yearly}"
                );
            }
        }
    }

    // Same inputs, byte-identical tables (the manifest holds the run's times and differs).
    ok(&parangon(&[
        "run",
        "--input",
        &s(&data),
        "--output",
        &s(&out2),
    ]));
    let (a, b) = (files_under(&out1), files_under(&out2));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (path, bytes) in &a {
        if path != "manifest.json" {
            assert!(bytes == &b[path], "{} differs between two runs", path);
        }
    }
    // Benchmark, ranks, dimensions and the annex in its three renderings.
    for path in [
        "benchmark/year=2024/part-00000.parquet",
        "benchmark_ranks/year=2024/part-00000.parquet",
        "dim_indicator/part-00000.parquet",
        "dim_caisse/part-00000.parquet",
        "annex/annex_a.parquet",
        "annex/annex_b.parquet",
        "annex/annex_c.parquet",
        "annex/annex_e.parquet",
        "annex/annex.xlsx",
        "annex/annex.html",
    ] {
        assert!(a.contains_key(path), "{path} missing");
    }
    // `parangon annex` renders year 2023 from the outputs, without the inputs.
    let before = std::fs::read(out2.join("indicator_values/year=2024/part-00000.parquet")).unwrap();
    ok(&parangon(&[
        "annex",
        "--output",
        &s(&out2),
        "--year",
        "2023",
    ]));
    let html = std::fs::read_to_string(out2.join("annex/annex.html")).unwrap();
    assert!(
        html.contains("Résultats 2022") && html.contains("Résultats 2023"),
        "annex of 2023"
    );
    assert_eq!(
        std::fs::read(out2.join("indicator_values/year=2024/part-00000.parquet")).unwrap(),
        before
    );
    let manifest2: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out2.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest2["annex_year"], serde_json::json!(2023));
    // A rerun on the same output replaces it.
    ok(&parangon(&[
        "run",
        "--input",
        &s(&data),
        "--output",
        &s(&out1),
        "--select",
        "calls_reached_rate",
    ]));
    let replaced = files_under(&out1);
    assert!(
        replaced.keys().all(|p| !p.starts_with("rejects/claims")),
        "old outputs are gone"
    );

    // validate: the same rejects, exit 1 because rows would be rejected.
    let v = parangon(&["validate", "--input", &s(&data)]);
    assert_eq!(v.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&v.stdout).contains("unknown caisse"));
}

#[test]
fn catalogue_listing_and_show() {
    let targets = ok(&parangon(&["targets", "--organism", "CAVIMAC"]));
    assert!(
        targets.contains("claims_fsp_delay_mean") && targets.contains("n°6"),
        "{targets}"
    );
    let coverage = ok(&parangon(&["indicators", "--coverage"]));
    assert!(
        coverage.contains("| Cavimac COG 2023-2027 | 34 |"),
        "{coverage}"
    );
    let list = ok(&parangon(&["indicators"]));
    assert!(
        list.contains("claims_fse_delay_p90") && list.contains("CAMIEG"),
        "{list}"
    );
    let show = ok(&parangon(&["indicators", "show", "claims_fse_delay_p90"]));
    assert!(
        show.contains("days(care_date, paid_date)") && show.contains("GROUP BY caisse_id"),
        "{show}"
    );
    let unknown = parangon(&["indicators", "show", "claims_fse_delay_p9"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("did you mean"));
}

#[test]
fn bad_inputs_exit_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let missing = parangon(&[
        "run",
        "--input",
        "/nonexistent/folder",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no such folder"));
    let usage = parangon(&["run", "--years", "abc"]);
    assert_eq!(usage.status.code(), Some(2));
    // A folder that is not a parangon output is never replaced.
    let foreign = tmp.path().join("thesis");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("chapter1.docx"), "x").unwrap();
    let refused = parangon(&["run", "--output", foreign.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(foreign.join("chapter1.docx").exists());
}

#[test]
fn readme_command_runs_on_the_bundled_sample() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let summary = ok(&parangon(&["run", "--output", out.to_str().unwrap()]));
    assert!(summary.contains("rows read"), "{summary}");
    // Every definition of the catalogue is computed on the sample, none is missing.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let catalogue = crate::common::catalogue();
    assert_eq!(
        manifest["indicators"]["not_computed"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        manifest["indicators"]["computed"].as_array().unwrap().len(),
        catalogue.indicators.len()
    );
    // Targets are checked on the sample: some met, some missed.
    let mut met = (0, 0);
    for entry in std::fs::read_dir(out.join("indicator_values")).unwrap() {
        for batch in read_parquet(&entry.unwrap().path().join("part-00000.parquet")) {
            let flags = batch
                .column_by_name("target_met")
                .unwrap()
                .as_boolean()
                .clone();
            for v in flags.iter().flatten() {
                if v { met.0 += 1 } else { met.1 += 1 }
            }
        }
    }
    assert!(met.0 > 0 && met.1 > 0, "met/missed: {met:?}");
    // The same input through a file:// URL gives the same tables, byte for byte.
    let url = format!("file://{}/sample-data", env!("CARGO_MANIFEST_DIR"));
    let out_url = tmp.path().join("out-url");
    ok(&parangon(&[
        "run",
        "--input",
        &url,
        "--output",
        out_url.to_str().unwrap(),
    ]));
    let (plain, via_url) = (files_under(&out), files_under(&out_url));
    for (path, bytes) in &plain {
        if path != "manifest.json" {
            assert!(bytes == &via_url[path], "{} differs through file://", path);
        }
    }
}

#[test]
fn a_rerun_on_unchanged_inputs_does_nothing_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = tmp.path().join("out");
    let s = |p: &Path| p.to_str().unwrap().to_string();
    ok(&parangon(&[
        "generate",
        "-q",
        "--output",
        &s(&data),
        "--caisses",
        "5",
        "--years",
        "2024",
        "--rows-per-caisse",
        "100",
    ]));
    let first = ok(&parangon(&[
        "run",
        "--input",
        &s(&data),
        "--output",
        &s(&out),
    ]));
    assert!(first.contains("rows read"), "{first}");
    let manifest = std::fs::read(out.join("manifest.json")).unwrap();
    let published = files_under(&out);

    // Same files, catalogue and options: nothing recomputed, nothing rewritten.
    let started = std::time::Instant::now();
    let second = ok(&parangon(&[
        "run",
        "--input",
        &s(&data),
        "--output",
        &s(&out),
    ]));
    assert!(second.contains("nothing changed since run"), "{second}");
    assert!(started.elapsed().as_secs_f64() < 5.0);
    assert_eq!(std::fs::read(out.join("manifest.json")).unwrap(), manifest);
    assert_eq!(files_under(&out), published);

    // Another option changes the fingerprint.
    let other = ok(&parangon(&[
        "run",
        "--input",
        &s(&data),
        "--output",
        &s(&out),
        "--suppression-threshold",
        "5",
    ]));
    assert!(other.contains("rows read"), "{other}");
    // --force recomputes even when nothing changed.
    let forced = ok(&parangon(&[
        "run",
        "--input",
        &s(&data),
        "--output",
        &s(&out),
        "--suppression-threshold",
        "5",
        "--force",
    ]));
    assert!(forced.contains("rows read"), "{forced}");
    // A rewritten input file (new modification time) is seen.
    let file = data.join("calls/year=2024/part-0.parquet");
    let bytes = std::fs::read(&file).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::remove_file(&file).unwrap();
    std::fs::write(&file, bytes).unwrap();
    let changed = ok(&parangon(&[
        "run",
        "--input",
        &s(&data),
        "--output",
        &s(&out),
        "--suppression-threshold",
        "5",
    ]));
    assert!(changed.contains("rows read"), "{changed}");
}

/// An installed binary works from any folder: the catalogue is built in, and the manifest says
/// which catalogue a run used — the built-in one, or the folder of `PARANGON_PIPELINES` /
/// `--pipelines` (same files, same version hash).
#[test]
fn the_binary_runs_from_any_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
    let pipelines = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines");
    let run = |out: &str, env: Option<&Path>, extra: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_parangon"));
        command
            .current_dir(tmp.path())
            .env_remove("PARANGON_PIPELINES")
            .args([
                "run",
                "-q",
                "--input",
                sample.to_str().unwrap(),
                "--output",
                out,
            ])
            .args(extra);
        if let Some(dir) = env {
            command.env("PARANGON_PIPELINES", dir);
        }
        ok(&command.output().unwrap());
        let manifest: serde_json::Value = serde_json::from_slice(
            &std::fs::read(tmp.path().join(out).join("manifest.json")).unwrap(),
        )
        .unwrap();
        manifest["catalogue"].clone()
    };
    let embedded = run("embedded", None, &[]);
    assert_eq!(embedded["source"], "embedded");
    assert_eq!(
        embedded["definitions"].as_u64(),
        Some(crate::common::catalogue().indicators.len() as u64)
    );
    let from_env = run("env", Some(&pipelines), &[]);
    assert_eq!(from_env["source"], pipelines.to_str().unwrap());
    assert_eq!(from_env["version"], embedded["version"]);
    let from_flag = run("flag", None, &["--pipelines", pipelines.to_str().unwrap()]);
    assert_eq!(from_flag["source"], pipelines.to_str().unwrap());
    let (a, b) = (
        files_under(&tmp.path().join("embedded")),
        files_under(&tmp.path().join("flag")),
    );
    for (path, bytes) in &a {
        if path != "manifest.json" {
            assert!(bytes == &b[path], "{path} differs between the catalogues");
        }
    }
    // No folder of the current directory is read: an empty `pipelines/` here changes nothing.
    std::fs::create_dir_all(tmp.path().join("pipelines")).unwrap();
    assert_eq!(run("again", None, &[])["source"], "embedded");
}
