//! `fibstack-bundle [--no-wasm-opt] [DIR]`: builds the web client's bundle into DIR
//! (`client/dist` by default) and prints the size of each file as stored and as served gzipped.
//! `scripts/build-client` runs it; the server's build script uses the same library.

use clap::Parser;
use fibstack_bundle::{Bundle, Optimise, Options, Progress, io_error};
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// Builds the web client into a folder nginx can serve: index.html and content-named scripts
/// and wasm.
#[derive(Debug, Parser)]
#[command(name = "scripts/build-client", bin_name = "scripts/build-client")]
struct Args {
    /// Leave the wasm as wasm-bindgen wrote it: the same page at about twice the size, without
    /// wasm-opt (for tests that need a working page, not a small one).
    #[arg(long)]
    no_wasm_opt: bool,
    /// The folder to write, replacing a bundle already there [default: client/dist].
    dir: Option<PathBuf>,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => {
            eprintln!("error: {problem}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), String> {
    let (workspace, target_dir) = workspace_and_target_dir()?;
    let out = args.dir.unwrap_or_else(|| workspace.join("client/dist"));
    ensure_replaceable(&out)?;
    let optimise = if args.no_wasm_opt {
        Optimise::Skip
    } else {
        Optimise::Required
    };
    // Built aside and then moved in: a failed build leaves the folder as it was.
    let staging = target_dir.join("client-bundle");
    let options = Options::new(&workspace, &target_dir, optimise);
    let built =
        fibstack_bundle::build(&options, &staging, &mut Terminal).map_err(|e| e.to_string())?;
    Terminal.step(&format!("writing the bundle into {}", out.display()));
    let shipped = replace_contents(&out, &built).map_err(|e| e.to_string())?;
    print_sizes(&shipped)
}

/// The workspace's root and its target directory, as cargo sees them (`CARGO_TARGET_DIR` and
/// `.cargo/config.toml` included).
fn workspace_and_target_dir() -> Result<(PathBuf, PathBuf), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(&cargo)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .map_err(|e| format!("cannot run {cargo}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`cargo metadata` failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("`cargo metadata` printed what is not JSON: {e}"))?;
    let path = |key: &str| {
        metadata[key]
            .as_str()
            .map(PathBuf::from)
            .ok_or_else(|| format!("`cargo metadata` names no {key}"))
    };
    Ok((path("workspace_root")?, path("target_directory")?))
}

/// A folder is replaced only if it is new, empty or a bundle (files only, one of them
/// index.html): a mistyped path must not lose someone's files.
fn ensure_replaceable(out: &Path) -> Result<(), String> {
    let entries: Vec<_> = match fs::read_dir(out) {
        Ok(entries) => entries.filter_map(Result::ok).collect(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(format!("cannot read {}: {error}", out.display())),
    };
    let files_only = entries.iter().all(|entry| entry.path().is_file());
    let has_page = entries
        .iter()
        .any(|entry| entry.file_name() == "index.html");
    if entries.is_empty() || (files_only && has_page) {
        Ok(())
    } else {
        Err(format!(
            "{} holds something other than a bundle (folders, or files without an index.html): \
             give a new or empty folder",
            out.display()
        ))
    }
}

/// Empties `out` and moves the bundle's files into it; returns their new paths.
fn replace_contents(
    out: &Path,
    built: &Bundle,
) -> Result<Vec<PathBuf>, fibstack_bundle::BundleError> {
    if out.exists() {
        for entry in fs::read_dir(out).map_err(io_error("read", out))? {
            let file = entry.map_err(io_error("read", out))?.path();
            fs::remove_file(&file).map_err(io_error("remove", &file))?;
        }
    } else {
        fs::create_dir_all(out).map_err(io_error("create", out))?;
    }
    built
        .files()
        .map(|file| {
            let shipped = out.join(file.file_name().unwrap_or_default());
            // Copied, not renamed: the staging folder may be on another file system.
            fs::copy(file, &shipped).map_err(io_error("copy", file))?;
            Ok(shipped)
        })
        .collect()
}

fn print_sizes(files: &[PathBuf]) -> Result<(), String> {
    let (mut total, mut total_gzip) = (0, 0);
    for file in files {
        let bytes = fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let gzip = gzip_size(&bytes);
        total += bytes.len();
        total_gzip += gzip;
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        println!("  {name:<48} {:>8} bytes, {gzip:>7} gzip", bytes.len());
    }
    println!("  {:<48} {total:>8} bytes, {total_gzip:>7} gzip", "total");
    Ok(())
}

/// Compressed at the highest level, as the server embeds it.
fn gzip_size(bytes: &[u8]) -> usize {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = encoder.write_all(bytes);
    encoder.finish().map_or(0, |compressed| compressed.len())
}

/// Progress on standard error, where cargo writes its own.
#[derive(Debug)]
struct Terminal;

impl Progress for Terminal {
    fn step(&mut self, message: &str) {
        eprintln!("==> client: {message}");
    }

    fn warning(&mut self, message: &str) {
        eprintln!("warning: {message}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_or_empty_folder_or_an_earlier_bundle_is_replaced() {
        let root = tempfile::tempdir().expect("temp dir");
        assert!(ensure_replaceable(&root.path().join("new")).is_ok());
        assert!(ensure_replaceable(root.path()).is_ok());
        fs::write(root.path().join("index.html"), "<html>").expect("write");
        fs::write(root.path().join("fibstack-boot-00.js"), "").expect("write");
        assert!(ensure_replaceable(root.path()).is_ok());
    }

    #[test]
    fn a_folder_that_is_not_a_bundle_is_left_alone() {
        let root = tempfile::tempdir().expect("temp dir");
        fs::write(root.path().join("notes.txt"), "mine").expect("write");
        let refusal = ensure_replaceable(root.path()).expect_err("files without a page");
        assert!(refusal.contains("give a new or empty folder"), "{refusal}");

        fs::write(root.path().join("index.html"), "<html>").expect("write");
        fs::create_dir(root.path().join("src")).expect("mkdir");
        assert!(ensure_replaceable(root.path()).is_err(), "a folder inside");
        assert!(root.path().join("notes.txt").exists());
    }
}
