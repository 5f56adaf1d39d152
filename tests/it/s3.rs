//! Object storage for real (issue #8): a real S3-compatible server on loopback — moto's server
//! mode, from PyPI (`pip install "moto[server]"`) — not a mock of the client. The test creates a
//! bucket, uploads a generated dataset, runs the binary from and to the bucket, and compares
//! every output byte for byte with a local run; then kills runs during the upload and before the
//! pointer switch and checks that the published version is untouched.
//! Skipped when moto is not installed, except under CI (`.ci/run` installs it).
#![cfg(feature = "s3")]

use crate::common::files_under;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use parangon::object_store::aws::AmazonS3Builder;
use parangon::object_store::path::Path as StorePath;
use parangon::object_store::{ObjectStore, ObjectStoreExt, PutPayload};

const BUCKET: &str = "parangon-test";
const SECRET: &str = "not-a-real-secret-4f1c";

struct Moto {
    child: Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_moto() -> Option<Moto> {
    let port = TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = Command::new("python3")
        .args([
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut moto = Moto {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if moto.child.try_wait().ok().flatten().is_some() || Instant::now() > deadline {
            return None; // not installed (python3 -m moto.server exited) or not starting
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // CreateBucket is a plain PUT on the bucket (moto does not check signatures).
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "PUT /{BUCKET} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut status = String::new();
    BufReader::new(&mut stream).read_line(&mut status).unwrap();
    assert!(status.contains(" 200"), "create bucket: {status}");
    Some(moto)
}

fn store(moto: &Moto) -> impl ObjectStore {
    AmazonS3Builder::new()
        .with_bucket_name(BUCKET)
        .with_region("us-east-1")
        .with_access_key_id("testing")
        .with_secret_access_key(SECRET)
        .with_endpoint(&moto.endpoint)
        .with_allow_http(true)
        .build()
        .unwrap()
}

fn parangon(moto: &Moto, args: &[&str], fault: Option<&str>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_parangon"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT", &moto.endpoint)
        .env("AWS_ALLOW_HTTP", "true")
        .env_remove("AWS_PROFILE");
    if let Some(point) = fault {
        cmd.env("PARANGON_FAULT_PAUSE", format!("{point}:60000"));
    }
    cmd
}

/// The run succeeded, and printed no credential (stdout and stderr).
fn ok(out: Output) -> String {
    crate::common::ok(&out);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains(SECRET), "a credential was printed");
    text
}

/// Every object under `prefix`, by path relative to it.
async fn objects(store: &impl ObjectStore, prefix: &str) -> BTreeMap<String, Vec<u8>> {
    let metas: Vec<_> = store
        .list(Some(&StorePath::from(prefix)))
        .try_collect()
        .await
        .unwrap();
    let mut out = BTreeMap::new();
    for m in metas {
        let bytes = store.get(&m.location).await.unwrap().bytes().await.unwrap();
        let relative = m.location.as_ref()[prefix.len() + 1..].to_string();
        out.insert(relative, bytes.to_vec());
    }
    out
}

async fn pointer(store: &impl ObjectStore) -> serde_json::Value {
    let bytes = store
        .get(&StorePath::from("out/CURRENT"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// Starts a run that pauses at `point`, waits until it says so, then SIGKILLs it.
fn kill_at(moto: &Moto, args: &[&str], point: &str) {
    let child = parangon(moto, args, Some(point))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    crate::common::kill_when_paused(child, point);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_round_trip_is_byte_identical_and_publication_survives_kills() {
    let Some(moto) = start_moto() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the S3 test: pip install \"moto[server]\""
        );
        eprintln!("skipped: moto's server did not start (pip install \"moto[server]\")");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let local = tmp.path().join("local");
    let s = |p: &Path| p.to_str().unwrap().to_string();
    ok(parangon(
        &moto,
        &[
            "generate",
            "-q",
            "--output",
            &s(&data),
            "--caisses",
            "6",
            "--years",
            "2023,2024",
            "--rows-per-caisse",
            "300",
        ],
        None,
    )
    .output()
    .unwrap());
    let s3 = store(&moto);
    for (relative, bytes) in files_under(&data) {
        s3.put(
            &StorePath::from(format!("data/{relative}")),
            PutPayload::from(bytes),
        )
        .await
        .unwrap();
    }
    let input = format!("s3://{BUCKET}/data");
    let output = format!("s3://{BUCKET}/out");

    // Local reference run, then the same from and to the bucket.
    ok(parangon(
        &moto,
        &["run", "-q", "--input", &s(&data), "--output", &s(&local)],
        None,
    )
    .output()
    .unwrap());
    let printed = ok(parangon(
        &moto,
        &["run", "--input", &input, "--output", &output],
        None,
    )
    .output()
    .unwrap());
    assert!(printed.contains(&output), "{printed}");
    let first = pointer(&s3).await;
    let version = first["version"].as_str().unwrap().to_string();
    let published = objects(&s3, &format!("out/{version}")).await;
    let expected = files_under(&local);
    assert_eq!(
        published.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "the same files"
    );
    for (path, bytes) in &expected {
        if path != "manifest.json" {
            assert!(
                &published[path] == bytes,
                "{path} differs from the local run"
            );
        }
    }
    // The manifest traces the same input bytes, and holds no credential.
    let manifest: serde_json::Value = serde_json::from_slice(&published["manifest.json"]).unwrap();
    let local_manifest: serde_json::Value =
        serde_json::from_slice(&expected["manifest.json"]).unwrap();
    let sums = |m: &serde_json::Value| -> Vec<String> {
        m["inputs"]["tables"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|t| t["files"].as_array().unwrap().iter())
            .map(|f| format!("{} {}", f["path"], f["blake3"]))
            .collect()
    };
    assert_eq!(sums(&manifest), sums(&local_manifest));
    assert_eq!(manifest["arguments"]["input"], serde_json::json!(input));
    let text = String::from_utf8_lossy(&published["manifest.json"]);
    assert!(!text.contains(SECRET) && !text.contains("testing"));

    // A rerun on unchanged objects does nothing.
    let again = ok(parangon(
        &moto,
        &["run", "--input", &input, "--output", &output],
        None,
    )
    .output()
    .unwrap());
    assert!(again.contains("nothing changed"), "{again}");

    // Killed while uploading and before the switch: the pointer and the published version
    // are untouched.
    let before = objects(&s3, &format!("out/{version}")).await;
    let select = [
        "run",
        "-q",
        "--input",
        &input,
        "--output",
        &output,
        "--select",
        "calls_reached_rate",
    ];
    for point in ["write", "switch"] {
        kill_at(&moto, &select, point);
        assert_eq!(
            pointer(&s3).await,
            first,
            "pointer moved after a kill at {point}"
        );
        assert_eq!(
            objects(&s3, &format!("out/{version}")).await,
            before,
            "kill at {point}"
        );
    }
    // The next runs publish; the killed runs' partial versions are cleaned up once older than
    // the previous published version.
    ok(parangon(&moto, &select, None).output().unwrap());
    let second = pointer(&s3).await;
    assert_ne!(second, first);
    ok(parangon(
        &moto,
        &[
            "run", "-q", "--input", &input, "--output", &output, "--force",
        ],
        None,
    )
    .output()
    .unwrap());
    let third = pointer(&s3).await;
    let versions: Vec<String> = s3
        .list_with_delimiter(Some(&StorePath::from("out/versions")))
        .await
        .unwrap()
        .common_prefixes
        .iter()
        .map(|p| p.filename().unwrap().to_string())
        .collect();
    let kept = |p: &serde_json::Value| p["run_id"].as_str().unwrap().to_string();
    assert_eq!(
        versions,
        vec![kept(&second), kept(&third)],
        "previous and current only"
    );
}
