//! Embeds the web client, so that `cargo run --release` alone serves the whole app. The bundle
//! is built by `fibstack-bundle` (the same pipeline as `scripts/build-client`), with wasm-opt
//! when a recent one is installed; this adds the gzip form of each file and writes
//! `client_assets.rs` for `include!`. Cargo reruns this only when the client's sources change.
//!
//! `FIBSTACK_EMBED_CLIENT=0` embeds a placeholder page instead: for images of the `api` and
//! `worker` roles, which never serve the client, and for quick checks.

use fibstack_bundle::{Asset, Optimise, Options, Progress};
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    if let Err(problem) = embed() {
        // Cargo shows a failed build script's output, this line last.
        eprintln!(
            "the web client could not be built: {problem}. To build the server without it: \
             FIBSTACK_EMBED_CLIENT=0"
        );
        std::process::exit(1);
    }
}

fn embed() -> Result<(), String> {
    let out = PathBuf::from(env::var("OUT_DIR").map_err(|e| e.to_string())?);
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let workspace = manifest
        .ancestors()
        .nth(2)
        .ok_or("the crate is not inside the workspace")?;
    println!("cargo::rerun-if-env-changed=FIBSTACK_EMBED_CLIENT");
    if env::var("FIBSTACK_EMBED_CLIENT").is_ok_and(|value| value.trim() == "0") {
        return write_assets(&out, &[], &workspace.join("client/placeholder/index.html"));
    }
    for source in fibstack_bundle::SOURCES {
        println!(
            "cargo::rerun-if-changed={}",
            workspace.join(source).display()
        );
    }
    let options = Options::new(workspace, &target_dir(&out)?, Optimise::WhenInstalled);
    let bundle = fibstack_bundle::build(&options, &out.join("client"), &mut CargoProgress)
        .map_err(|e| e.to_string())?;
    write_assets(&out, &bundle.assets, &bundle.page)
}

/// The outer target directory, found from OUT_DIR (`<target>/<profile>/build/<pkg>/out`), so a
/// user's `CARGO_TARGET_DIR` is respected and every profile shares one client build.
fn target_dir(out: &Path) -> Result<PathBuf, String> {
    let build = out
        .ancestors()
        .find(|dir| dir.file_name().is_some_and(|name| name == "build"))
        .ok_or("OUT_DIR is not inside a build directory")?;
    build
        .parent()
        .and_then(Path::parent)
        .map(Path::to_owned)
        .ok_or_else(|| "OUT_DIR is too shallow".to_owned())
}

/// `client_assets.rs`: each file and its gzip form as `include_bytes!`, so the binary carries
/// them and compresses nothing at run time.
fn write_assets(out: &Path, assets: &[Asset], page: &Path) -> Result<(), String> {
    // Inside OUT_DIR: a build never writes into the source tree (the placeholder lives there).
    let gzip_dir = out.join("gzip");
    let _ = fs::remove_dir_all(&gzip_dir);
    fs::create_dir_all(&gzip_dir).map_err(|e| e.to_string())?;
    let mut code = String::from("static ASSETS: &[Asset] = &[\n");
    for asset in assets {
        let (plain, gzip) = with_gzip(&asset.file, &gzip_dir)?;
        let _ = writeln!(
            code,
            "    Asset {{ path: {:?}, content_type: {:?}, plain: include_bytes!({plain:?}), gzip: include_bytes!({gzip:?}) }},",
            asset.url_path, asset.content_type
        );
    }
    code.push_str("];\n");
    let (plain, gzip) = with_gzip(page, &gzip_dir)?;
    let _ = writeln!(
        code,
        "static PAGE: Asset = Asset {{ path: \"/\", content_type: \"text/html; charset=utf-8\", plain: include_bytes!({plain:?}), gzip: include_bytes!({gzip:?}) }};"
    );
    fs::write(out.join("client_assets.rs"), code).map_err(|e| e.to_string())
}

/// Writes `<gzip_dir>/<file name>.gz` (asset names are unique: content-hashed, or the one page);
/// returns both paths as strings for `include_bytes!`.
fn with_gzip(file: &Path, gzip_dir: &Path) -> Result<(String, String), String> {
    use std::io::Write as _;
    let name = file
        .file_name()
        .ok_or_else(|| format!("{} has no file name", file.display()))?;
    let gzip = gzip_dir.join(format!("{}.gz", name.to_string_lossy()));
    let bytes = fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&bytes).map_err(|e| e.to_string())?;
    let compressed = encoder.finish().map_err(|e| e.to_string())?;
    fs::write(&gzip, compressed).map_err(|e| format!("cannot write {}: {e}", gzip.display()))?;
    Ok((file.display().to_string(), gzip.display().to_string()))
}

/// Cargo shows a build script's output only at the end: steps go to the terminal, when there
/// is one, as they start; warnings to cargo, which shows them after the build.
#[derive(Debug)]
struct CargoProgress;

impl Progress for CargoProgress {
    fn step(&mut self, message: &str) {
        use std::io::Write as _;
        if let Ok(mut tty) = fs::OpenOptions::new().write(true).open("/dev/tty") {
            let _ = writeln!(tty, "   fibstack: {message}");
        }
    }

    fn warning(&mut self, message: &str) {
        println!("cargo::warning={message}");
    }
}
