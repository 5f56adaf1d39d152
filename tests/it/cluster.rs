//! A Ballista cluster for real (issue #8): the binary's own `cluster scheduler` and two
//! `cluster executor` processes on loopback, `run --cluster df://…` on a generated dataset,
//! and every output compared byte for byte with a local run of the same catalogue.
#![cfg(feature = "cluster")]

use crate::common::{files_under, ok};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process killed when the test ends, pass or fail.
struct Service(Child);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn parangon() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_parangon"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

fn serve(args: &[&str], log: &Path) -> Service {
    let log = std::fs::File::create(log).unwrap();
    Service(
        parangon()
            .args(args)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    )
}

fn wait_listening(service: &mut Service, port: u16, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Some(status) = service.0.try_wait().unwrap() {
            panic!(
                "exited with {status} before listening on {port}:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        assert!(Instant::now() < deadline, "nothing listens on port {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_scheduler_and_two_executors_give_the_local_results() {
    let tmp = tempfile::tempdir().unwrap();
    let path = |name: &str| -> PathBuf { tmp.path().join(name) };
    let s = |p: &Path| p.to_str().unwrap().to_string();

    let scheduler_port = free_port();
    let scheduler_addr = format!("127.0.0.1:{scheduler_port}");
    let mut scheduler = serve(
        &["cluster", "scheduler", "--bind", &scheduler_addr],
        &path("scheduler.log"),
    );
    wait_listening(&mut scheduler, scheduler_port, &path("scheduler.log"));
    let mut executors = Vec::new();
    for i in 0..2 {
        let (flight, grpc) = (free_port(), free_port());
        let work = path(&format!("executor{i}"));
        std::fs::create_dir_all(&work).unwrap();
        let log = path(&format!("executor{i}.log"));
        let mut executor = serve(
            &[
                "cluster",
                "executor",
                "--bind",
                &format!("127.0.0.1:{flight}"),
                "--grpc-port",
                &grpc.to_string(),
                "--scheduler",
                &scheduler_addr,
                "--concurrent-tasks",
                "1",
                "--work-dir",
                &s(&work),
            ],
            &log,
        );
        wait_listening(&mut executor, grpc, &log);
        executors.push((executor, work));
    }

    let data = path("data");
    ok(&parangon()
        .args(["generate", "-q", "--output", &s(&data), "--caisses", "6"])
        .args(["--years", "2023,2024", "--rows-per-caisse", "400"])
        .output()
        .unwrap());
    let local = path("local");
    ok(&parangon()
        .args(["run", "-q", "--input", &s(&data), "--output", &s(&local)])
        .output()
        .unwrap());
    let on_cluster = path("cluster");
    let staging = path("staging");
    let url = format!("df://{scheduler_addr}");
    let printed = ok(&parangon()
        .args(["run", "--input", &s(&data), "--output", &s(&on_cluster)])
        .args(["--cluster", &url, "--cluster-staging", &s(&staging)])
        .output()
        .unwrap());
    assert!(printed.contains("definitions computed"), "{printed}");

    // Every output but the manifest (run id, times) is byte-identical to the local run.
    let expected = files_under(&local);
    let actual = files_under(&on_cluster);
    assert_eq!(
        actual.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &expected {
        if name != "manifest.json" {
            assert!(&actual[name] == bytes, "{name} differs from the local run");
        }
    }
    let values: usize = expected
        .iter()
        .filter(|(name, _)| name.starts_with("indicator_values/"))
        .map(|(_, bytes)| bytes.len())
        .sum();
    assert!(values > 50_000, "a real catalogue's values: {values} bytes");
    let manifest: serde_json::Value = serde_json::from_slice(&actual["manifest.json"]).unwrap();
    assert_eq!(manifest["arguments"]["cluster"], serde_json::json!(url));
    let local_manifest: serde_json::Value =
        serde_json::from_slice(&expected["manifest.json"]).unwrap();
    assert!(local_manifest["arguments"].get("cluster").is_none());

    // The staged rows are removed once each table is computed.
    let left: Vec<_> = std::fs::read_dir(&staging).unwrap().collect();
    assert!(left.is_empty(), "staging left behind: {left:?}");
    // Both executors ran tasks: each has written task output under its work folder.
    for (i, (_, work)) in executors.iter().enumerate() {
        assert!(
            !files_under(work).is_empty(),
            "executor {i} ran no task:\n{}",
            std::fs::read_to_string(path(&format!("executor{i}.log"))).unwrap_or_default()
        );
    }
}

#[test]
fn an_unreachable_scheduler_is_a_clear_error_and_publishes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = tmp.path().join("out");
    let s = |p: &Path| p.to_str().unwrap().to_string();
    ok(&parangon()
        .args(["generate", "-q", "--output", &s(&data), "--caisses", "5"])
        .args(["--years", "2024", "--rows-per-caisse", "50"])
        .output()
        .unwrap());
    let url = format!("df://127.0.0.1:{}", free_port());
    let staging = tmp.path().join("staging");
    let result = parangon()
        .args(["run", "-q", "--input", &s(&data), "--output", &s(&out)])
        .args(["--cluster", &url, "--cluster-staging", &s(&staging)])
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(stderr.contains(&url), "{stderr}");
    assert!(stderr.contains("parangon cluster scheduler"), "{stderr}");
    assert!(!out.exists(), "nothing published");
    // The first table was staged before the scheduler was found missing: its rows are gone.
    let left: Vec<_> = std::fs::read_dir(&staging).unwrap().collect();
    assert!(left.is_empty(), "staging left behind: {left:?}");
}
