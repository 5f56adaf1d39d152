//! Embeds the catalogue (`pipelines/*.toml`, `pipelines/targets/*.toml`,
//! `pipelines/coverage/*.toml`) in the binary, so that an installed parangon runs from any
//! folder (`crate::pipelines::embedded`). The files are included with `include_str!`, so editing
//! one rebuilds; adding or removing one reruns this script (the folders are watched).

// A build script talks to cargo on stdout.
#![allow(clippy::print_stdout)]

use std::fmt::Write as _;
use std::path::Path;

const FOLDERS: [&str; 3] = ["", "targets", "coverage"];

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines");
    let mut code = String::from("pub static FILES: &[(&str, &str)] = &[\n");
    for folder in FOLDERS {
        let dir = root.join(folder);
        println!("cargo:rerun-if-changed={}", dir.display());
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        for path in files {
            let name = path.file_name().unwrap().to_str().expect("UTF-8 file name");
            let relative = if folder.is_empty() {
                name.to_string()
            } else {
                format!("{folder}/{name}")
            };
            writeln!(
                code,
                "    ({relative:?}, include_str!({:?})),",
                path.display().to_string()
            )
            .unwrap();
        }
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("embedded_pipelines.rs");
    std::fs::write(out, code).unwrap();
}
