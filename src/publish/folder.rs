//! All-or-nothing publication to a local output folder (outputs.md: "A run publishes all of its
//! outputs together or none of them").
//!
//! For an output `out/`, siblings in the same parent folder:
//! - `.out.parangon.lock` — held (advisory `flock`) for the whole run: a second run on the same
//!   output fails at once with a clear message instead of interleaving;
//! - `.out.parangon-staging-<run>` — where the run writes; a killed run leaves only this,
//!   removed by the next run.
//!
//! The switch is one `renameat2(RENAME_EXCHANGE)` on Linux: `out/` is at every instant either
//! the complete old outputs or the complete new ones, and stays a plain folder that BI tools can
//! open. Elsewhere, or on a file system without exchange, two renames are used; a crash between
//! them leaves the previous outputs complete under `.out.parangon-old-<run>`.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::Publication;
use crate::error::PublishError;

/// The lock on an output folder; released when dropped.
#[derive(Debug)]
pub struct OutputLock {
    _file: File,
    pub output: PathBuf,
}

fn sibling(output: &Path, suffix: &str) -> PathBuf {
    let name = output
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    output
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join(format!(".{name}.parangon{suffix}"))
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PublishError + '_ {
    move |source| PublishError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Takes the lock of `output` (failing at once if another run holds it), checks that an
/// existing `output` is a parangon output, and removes what killed runs left behind.
pub fn lock(output: &Path) -> Result<OutputLock, PublishError> {
    let output = absolute(output)?;
    let parent = output
        .parent()
        .unwrap_or_else(|| Path::new("/"))
        .to_path_buf();
    fs::create_dir_all(&parent).map_err(io(&parent))?;
    let lock_path = sibling(&output, ".lock");
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(io(&lock_path))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            return Err(PublishError::Locked {
                output,
                lock: lock_path,
            });
        }
        Err(fs::TryLockError::Error(e)) => return Err(io(&lock_path)(e)),
    }
    if output.exists() {
        let is_empty_dir =
            output.is_dir() && fs::read_dir(&output).map_err(io(&output))?.next().is_none();
        if !is_empty_dir && !output.join("manifest.json").is_file() {
            return Err(PublishError::NotAnOutput { output });
        }
    }
    // Leftovers of killed runs (we hold the lock: no run is using them).
    let prefix = sibling(&output, "-");
    let prefix_name = prefix
        .file_name()
        .expect("named")
        .to_string_lossy()
        .into_owned();
    for entry in fs::read_dir(&parent).map_err(io(&parent))?.flatten() {
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with(&prefix_name)
        {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
    Ok(OutputLock {
        _file: file,
        output,
    })
}

fn absolute(path: &Path) -> Result<PathBuf, PublishError> {
    std::path::absolute(path).map_err(io(path))
}

/// Writes every file of `publication` to a staging folder, then switches it into place.
pub fn publish(
    lock: &OutputLock,
    run_id: &str,
    publication: &Publication,
) -> Result<(), PublishError> {
    let output = &lock.output;
    let staging = sibling(output, &format!("-staging-{run_id}"));
    fs::create_dir_all(&staging).map_err(io(&staging))?;
    let half = publication.files().count() / 2;
    for (i, (relative, bytes)) in publication.files().enumerate() {
        if i == half {
            fault_point("write");
        }
        let path = staging.join(relative);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(io(dir))?;
        }
        let mut file = File::create(&path).map_err(io(&path))?;
        file.write_all(bytes).map_err(io(&path))?;
        file.sync_all().map_err(io(&path))?;
    }
    fault_point("switch");
    switch(&staging, output, run_id)
}

/// Fault injection for the crash tests (`tests/crash.rs`): with
/// `PARANGON_FAULT_PAUSE=<point>:<milliseconds>`, the run says so on stderr and sleeps at that
/// point, so that a test can kill it there. Points: `compute` (inputs read, nothing written),
/// `write` (half of the staging folder written), `switch` (staging complete, output not yet
/// replaced). Without the variable this does nothing.
// A test hook, not output: the crash tests wait for this line on stderr.
#[allow(clippy::print_stderr)]
pub fn fault_point(point: &str) {
    let Ok(spec) = std::env::var("PARANGON_FAULT_PAUSE") else {
        return;
    };
    if let Some((at, millis)) = spec.split_once(':')
        && at == point
        && let Ok(millis) = millis.parse::<u64>()
    {
        eprintln!("parangon: fault pause at {point}");
        std::thread::sleep(std::time::Duration::from_millis(millis));
    }
}

fn switch(staging: &Path, output: &Path, run_id: &str) -> Result<(), PublishError> {
    if !output.exists() {
        return fs::rename(staging, output).map_err(io(output));
    }
    if exchange(staging, output).is_ok() {
        // `staging` now holds the previous outputs.
        return fs::remove_dir_all(staging).map_err(io(staging));
    }
    let old = sibling(output, &format!("-old-{run_id}"));
    fs::rename(output, &old).map_err(io(output))?;
    fs::rename(staging, output).map_err(io(output))?;
    fs::remove_dir_all(&old).map_err(io(&old))
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let to_c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
    };
    let (a, b) = (to_c(a)?, to_c(b)?);
    // SAFETY: both are valid NUL-terminated paths; renameat2 does not keep the pointers.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// Every file under `root`, by path relative to it (`/`-separated), sorted: `parangon annex`
/// carries a published output over into a new publication.
pub fn read_tree(root: &Path) -> Result<Vec<(String, Vec<u8>)>, PublishError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PublishError::Io { path, source }
    };
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(io(&dir))? {
            let path = entry.map_err(io(&dir))?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path
                    .strip_prefix(root)
                    .expect("under root")
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                let bytes = std::fs::read(&path).map_err(io(&path))?;
                out.push((relative, bytes));
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn publication(text: &str) -> Publication {
        let mut p = Publication::default();
        p.add_bytes("manifest.json", text.as_bytes().to_vec());
        p.add_bytes("a/b.txt", text.as_bytes().to_vec());
        p
    }

    #[test]
    fn first_publication_then_replacement() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        {
            let l = lock(&out).unwrap();
            publish(&l, "r1", &publication("one")).unwrap();
        }
        assert_eq!(fs::read_to_string(out.join("a/b.txt")).unwrap(), "one");
        {
            let l = lock(&out).unwrap();
            publish(&l, "r2", &publication("two")).unwrap();
        }
        assert_eq!(fs::read_to_string(out.join("a/b.txt")).unwrap(), "two");
        // Only the output and its lock remain beside it.
        let mut names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, vec![".out.parangon.lock", "out"]);
    }

    #[test]
    fn second_run_on_the_same_output_fails_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let _held = lock(&out).unwrap();
        let err = lock(&out).unwrap_err().to_string();
        assert!(err.contains("another parangon run"), "{err}");
    }

    #[test]
    fn refuses_to_replace_a_foreign_folder() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        fs::create_dir_all(&out).unwrap();
        fs::write(out.join("thesis.docx"), "precious").unwrap();
        let err = lock(&out).unwrap_err().to_string();
        assert!(err.contains("not a parangon output"), "{err}");
    }

    #[test]
    fn leftovers_of_a_killed_run_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let stale = dir.path().join(".out.parangon-staging-dead");
        fs::create_dir_all(&stale).unwrap();
        let l = lock(&out).unwrap();
        assert!(!stale.exists());
        publish(&l, "r", &publication("x")).unwrap();
    }
}
