//! Crash safety (outputs.md: "a run that fails or is killed leaves the previous outputs as they
//! were, and two runs on the same output never interleave"). A run is killed with SIGKILL at
//! three points — after computing, half-way through writing, just before the switch — and the
//! previous outputs must be intact and complete; the next run must succeed and clean up.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn parangon() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_parangon"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn snapshot(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(root).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

fn run(data: &Path, out: &Path, extra: &[&str]) -> bool {
    parangon()
        .args([
            "-q",
            "run",
            "--input",
            data.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
        ])
        .args(extra)
        .stdout(Stdio::null())
        .status()
        .unwrap()
        .success()
}

/// Starts a run that pauses at `point`, waits until it says so, then SIGKILLs it.
fn kill_at(data: &Path, out: &Path, point: &str) {
    let child = parangon()
        .args([
            "-q",
            "run",
            "--input",
            data.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
        ])
        .args(["--select", "calls_reached_rate"])
        .env("PARANGON_FAULT_PAUSE", format!("{point}:60000"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    crate::common::kill_when_paused(child, point);
}

#[test]
fn killed_runs_leave_the_previous_outputs_intact() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = tmp.path().join("out");
    let generated = parangon()
        .args([
            "-q",
            "generate",
            "--output",
            data.to_str().unwrap(),
            "--caisses",
            "6",
            "--rows-per-caisse",
            "200",
        ])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(generated.success());
    assert!(run(&data, &out, &[]));
    let before = snapshot(&out);
    for point in ["compute", "write", "switch"] {
        kill_at(&data, &out, point);
        assert_eq!(
            snapshot(&out),
            before,
            "outputs changed after a kill at {point}"
        );
    }
    // A staging folder was left by the kills at write and switch; the next run removes it.
    let leftovers = |dir: &Path| {
        std::fs::read_dir(dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .contains("parangon-staging")
            })
            .count()
    };
    assert!(leftovers(tmp.path()) > 0);
    assert!(run(&data, &out, &["--select", "calls_reached_rate"]));
    assert_eq!(leftovers(tmp.path()), 0);
    let after = snapshot(&out);
    assert!(after.keys().any(|p| p.starts_with("rejects/calls")));
    assert!(
        !after.keys().any(|p| p.starts_with("rejects/claims")),
        "the new outputs replaced the old ones whole"
    );
}

#[test]
fn a_second_run_on_the_same_output_fails_clearly_while_the_first_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = tmp.path().join("out");
    assert!(
        parangon()
            .args([
                "-q",
                "generate",
                "--output",
                data.to_str().unwrap(),
                "--caisses",
                "5",
                "--rows-per-caisse",
                "100"
            ])
            .stdout(Stdio::null())
            .status()
            .unwrap()
            .success()
    );
    let mut first = parangon()
        .args([
            "-q",
            "run",
            "--input",
            data.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
        ])
        .env("PARANGON_FAULT_PAUSE", "switch:3000")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(first.stderr.take().unwrap());
    assert!(
        stderr
            .lines()
            .map_while(Result::ok)
            .any(|l| l.contains("fault pause at switch"))
    );
    let second = parangon()
        .args([
            "-q",
            "run",
            "--input",
            data.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&second.stderr).contains("another parangon run is writing"));
    assert!(
        first.wait().unwrap().success(),
        "the first run finishes and publishes"
    );
    assert!(out.join("manifest.json").is_file());
}
