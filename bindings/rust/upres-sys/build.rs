//! Finds libupres: $UPRES_LIB_DIR, else pkg-config, else a CMake build folder of this checkout
//! (`build/` at the repository root). The folder is passed to dependents as DEP_UPRES_LIB_DIR so
//! they can set an rpath for their own tests and examples.
use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn has_library(dir: &Path) -> bool {
    ["libupres.so", "libupres.dylib", "libupres.a", "upres.lib"].iter().any(|name| dir.join(name).exists())
}

fn from_pkg_config() -> Option<PathBuf> {
    let output = Command::new("pkg-config").args(["--libs-only-L", "upres"]).output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    text.split_whitespace().filter_map(|flag| flag.strip_prefix("-L")).map(PathBuf::from).find(|dir| has_library(dir))
}

fn from_checkout() -> Option<PathBuf> {
    // bindings/rust/upres-sys -> repository root
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").ok()?);
    let root = manifest.ancestors().nth(3)?;
    let dir = root.join("build");
    has_library(&dir).then_some(dir)
}

fn main() {
    println!("cargo:rerun-if-env-changed=UPRES_LIB_DIR");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    let dir = match env::var_os("UPRES_LIB_DIR") {
        Some(dir) => Some(PathBuf::from(dir)),
        None => from_pkg_config().or_else(from_checkout),
    };
    match dir {
        Some(dir) => {
            println!("cargo:rustc-link-search=native={}", dir.display());
            println!("cargo:lib_dir={}", dir.display());
        }
        None => println!(
            "cargo:warning=libupres not found: set UPRES_LIB_DIR, install upres.pc, or build the library into build/"
        ),
    }
    println!("cargo:rustc-link-lib=upres");
}
