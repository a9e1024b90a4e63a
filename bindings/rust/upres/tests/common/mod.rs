//! Shared by the integration tests: where the sample image and the C reference outputs are.
#![allow(dead_code)]
use std::collections::HashMap;
use std::path::PathBuf;

pub fn sample_path() -> PathBuf {
    match std::env::var_os("UPRES_SAMPLE_IMAGE") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../assets/sample.png"),
    }
}

/// The folder written by bindings/reference/abi_reference.c (set by CTest), or None with a message.
pub fn reference_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("UPRES_REFERENCE_DIR").map(PathBuf::from);
    if dir.is_none() {
        eprintln!("skipped: UPRES_REFERENCE_DIR is not set (CTest sets it after running abi_reference)");
    }
    dir
}

/// "key value" lines of a reference text file.
pub fn read_pairs(path: PathBuf) -> HashMap<String, String> {
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines().filter_map(|line| line.split_once(' ')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

pub fn scratch_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("upres-tests");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
