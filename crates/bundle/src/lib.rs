//! Builds the web client (`crates/client`) into the bundle a browser loads: the wasm, compiled
//! in the size-optimised `wasm-release` profile; wasm-bindgen's JavaScript glue; wasm-opt when
//! asked; a boot script; the page. Each script and the wasm are named after a hash of their
//! contents, so a browser may cache them for ever.
//!
//! One pipeline serves both places the bundle lives: the server's build script embeds what
//! [`build`] writes (so `cargo run --release` serves the whole app), and this crate's binary
//! (`scripts/build-client`) writes it to `client/dist` for nginx and the client's image. A wasm
//! has one name wherever it is served.
//!
//! # Layout
//! - [`toolchain`]: the wasm target, and the nested cargo that compiles the client.
//! - [`optimiser`]: wasm-opt, found and run.
//! - [`names`]: content hashes, the boot script and the page's script tag (pure).
//! - this file: [`build`], the steps in order, and the [`Bundle`] it returns.

pub mod names;
pub mod optimiser;
pub mod toolchain;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub use optimiser::Optimise;

/// The client's package; its wasm and glue are named after it.
pub const CLIENT: &str = "fibstack-client";

/// What the bundle is made from, relative to the workspace: a build that embeds it reruns when
/// one of these changes.
pub const SOURCES: &[&str] = &[
    "crates/client/src",
    "crates/client/Cargo.toml",
    "crates/core/src",
    "crates/core/Cargo.toml",
    "client/index.html",
    "Cargo.lock",
];

/// Where the client is built from and how.
#[derive(Debug, Clone)]
pub struct Options {
    /// The workspace's root: `Cargo.lock`, `client/index.html`.
    pub workspace: PathBuf,
    /// The nested cargo's own target directory. A build script cannot share the outer one (its
    /// lock is held), and the server's build and the binary use the same one, so a bundle built
    /// by either compiles the wasm once.
    pub wasm_target_dir: PathBuf,
    pub optimise: Optimise,
}

impl Options {
    /// The wasm compiles into `<target_dir>/client-wasm`.
    pub fn new(workspace: &Path, target_dir: &Path, optimise: Optimise) -> Self {
        Self {
            workspace: workspace.to_owned(),
            wasm_target_dir: target_dir.join("client-wasm"),
            optimise,
        }
    }
}

/// Hears about the long steps as they start, and about what the user may want to fix.
pub trait Progress {
    fn step(&mut self, message: &str);
    fn warning(&mut self, message: &str);
}

/// The files [`build`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// The wasm, its glue and the boot script, in that order.
    pub assets: Vec<Asset>,
    /// `index.html`, served at `/` and for every client route.
    pub page: PathBuf,
}

/// One content-named file of the bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    /// Where the page asks for it: `/` and the file's name.
    pub url_path: String,
    pub content_type: &'static str,
    pub file: PathBuf,
}

impl Bundle {
    /// Every file, the page last.
    pub fn files(&self) -> impl Iterator<Item = &Path> {
        self.assets
            .iter()
            .map(|asset| asset.file.as_path())
            .chain([self.page.as_path()])
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("`{rustc} --print sysroot` failed: is a Rust toolchain installed?")]
    Sysroot { rustc: String },
    #[error("`{command}` failed (see above): run it by hand")]
    AddTarget { command: String },
    #[error(
        "the toolchain at {sysroot} lacks the {target} target and rustup is not on PATH to add \
         it: run `{command}`, or install your distribution's {target} standard library",
        target = toolchain::WASM_TARGET
    )]
    NoRustup { sysroot: PathBuf, command: String },
    #[error("cannot run {program}: {source}")]
    Run { program: String, source: io::Error },
    #[error("`{command}` failed (see above)")]
    Compile { command: String },
    #[error("{} is missing after the client's build", .0.display())]
    NoWasm(PathBuf),
    #[error("wasm-bindgen failed: {0}")]
    Bindgen(String),
    #[error(
        "wasm-opt {minimum} or newer is needed, and {found}: install Debian 13's binaryen, or \
         `cargo install wasm-opt --version 0.116.1 --locked` (about 5 minutes); or build \
         without it, at twice the size",
        minimum = optimiser::MINIMUM_VERSION
    )]
    NoOptimiser { found: String },
    #[error("wasm-opt failed on {} (see above)", .0.display())]
    Optimise(PathBuf),
    #[error(
        "{} lost its data-trunk rust line, which becomes the page's script tag",
        .0.display()
    )]
    Template(PathBuf),
    #[error("cannot {action} {}: {source}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
}

/// Builds the bundle into `out`, a folder of its own: emptied first, then holding the assets
/// and the page and nothing else.
pub fn build(
    options: &Options,
    out: &Path,
    progress: &mut dyn Progress,
) -> Result<Bundle, BundleError> {
    toolchain::ensure_wasm_target(progress)?;
    progress.step("compiling the web client to wasm: about a minute the first time");
    let compiled = toolchain::compile_client(&options.workspace, &options.wasm_target_dir)?;

    progress.step("generating its JavaScript glue (wasm-bindgen)");
    empty_folder(out)?;
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&compiled)
        .web(true)
        .map_err(|e| BundleError::Bindgen(format!("{e:#}")))?
        .typescript(false)
        .generate(out)
        .map_err(|e| BundleError::Bindgen(format!("{e:#}")))?;
    let wasm = out.join(format!("{CLIENT}_bg.wasm"));
    let glue = out.join(format!("{CLIENT}.js"));
    optimiser::shrink(&wasm, options.optimise, progress)?;

    let wasm = rename_after_contents(&wasm, &format!("{CLIENT}_bg"), "wasm")?;
    let glue = rename_after_contents(&glue, CLIENT, "js")?;
    let boot_script = names::boot_script(&url_path(&glue), &url_path(&wasm));
    let boot = out.join(names::hashed_name(
        "fibstack-boot",
        boot_script.as_bytes(),
        "js",
    ));
    write(&boot, boot_script.as_bytes())?;

    let template_path = options.workspace.join("client/index.html");
    let template = fs::read_to_string(&template_path).map_err(io_error("read", &template_path))?;
    let html = names::page_with_script(&template, &url_path(&boot))
        .ok_or(BundleError::Template(template_path))?;
    let page = out.join("index.html");
    write(&page, html.as_bytes())?;

    let asset = |file: PathBuf, content_type| Asset {
        url_path: url_path(&file),
        content_type,
        file,
    };
    Ok(Bundle {
        assets: vec![
            asset(wasm, "application/wasm"),
            asset(glue, "text/javascript"),
            asset(boot, "text/javascript"),
        ],
        page,
    })
}

fn rename_after_contents(file: &Path, stem: &str, extension: &str) -> Result<PathBuf, BundleError> {
    let bytes = fs::read(file).map_err(io_error("read", file))?;
    let named = file.with_file_name(names::hashed_name(stem, &bytes, extension));
    fs::rename(file, &named).map_err(io_error("rename", file))?;
    Ok(named)
}

fn url_path(file: &Path) -> String {
    let name = file.file_name().unwrap_or_default().to_string_lossy();
    format!("/{name}")
}

fn empty_folder(folder: &Path) -> Result<(), BundleError> {
    match fs::remove_dir_all(folder) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(io_error("empty", folder)(error)),
    }
    fs::create_dir_all(folder).map_err(io_error("create", folder))
}

fn write(file: &Path, bytes: &[u8]) -> Result<(), BundleError> {
    fs::write(file, bytes).map_err(io_error("write", file))
}

/// For `map_err`: an I/O failure with what was being done, and to which path.
pub fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> BundleError {
    let path = path.to_owned();
    move |source| BundleError::Io {
        action,
        path,
        source,
    }
}
