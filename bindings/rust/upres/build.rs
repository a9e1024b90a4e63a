//! Lets this crate's tests and examples find libupres at run time without LD_LIBRARY_PATH: an rpath
//! to the folder upres-sys linked against (DEP_UPRES_LIB_DIR, from its `links = "upres"`).
fn main() {
    if let Ok(dir) = std::env::var("DEP_UPRES_LIB_DIR") {
        if std::env::var("CARGO_CFG_TARGET_FAMILY").as_deref() == Ok("unix") {
            println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
        }
    }
}
