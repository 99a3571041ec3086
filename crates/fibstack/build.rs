//! Builds the web client (crates/client) to wasm and embeds it, so that `cargo run --release`
//! alone serves the whole app. The wasm is built by a nested cargo into a target directory of
//! its own (sharing the outer one would deadlock on its lock) with the size-optimised
//! `wasm-release` profile, then wasm-bindgen generates the JavaScript glue, and wasm-opt shrinks
//! it when a recent one is installed. Cargo reruns this only when the client's sources change.
//!
//! `FIBSTACK_EMBED_CLIENT=0` embeds a placeholder page instead: for images of the `api` and
//! `worker` roles, which never serve the client, and for quick checks.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const CLIENT: &str = "fibstack-client";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
const PROFILE: &str = "wasm-release";

type BuildResult<T> = Result<T, String>;

fn main() {
    if let Err(problem) = build() {
        // Cargo shows a failed build script's output, this line last.
        eprintln!("the web client could not be built: {problem}");
        std::process::exit(1);
    }
}

fn build() -> BuildResult<()> {
    let out = PathBuf::from(env::var("OUT_DIR").map_err(|e| e.to_string())?);
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let workspace = manifest
        .ancestors()
        .nth(2)
        .ok_or("the crate is not inside the workspace")?
        .to_owned();
    println!("cargo::rerun-if-env-changed=FIBSTACK_EMBED_CLIENT");
    if env::var("FIBSTACK_EMBED_CLIENT").is_ok_and(|value| value.trim() == "0") {
        return write_assets(&out, &[], &workspace.join("client/placeholder/index.html"));
    }
    for input in [
        "crates/client/src",
        "crates/client/Cargo.toml",
        "crates/core/src",
        "crates/core/Cargo.toml",
        "client/index.html",
        "Cargo.lock",
    ] {
        println!(
            "cargo::rerun-if-changed={}",
            workspace.join(input).display()
        );
    }
    ensure_wasm_target()?;
    say("building the web client (wasm): about a minute the first time");
    let wasm = compile_client(&workspace, &out)?;
    let bundle = out.join("client");
    let _ = fs::remove_dir_all(&bundle);
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&wasm)
        .web(true)
        .map_err(|e| e.to_string())?
        .typescript(false)
        .generate(&bundle)
        .map_err(|e| format!("wasm-bindgen failed: {e}"))?;
    let glue_wasm = bundle.join(format!("{CLIENT}_bg.wasm"));
    shrink(&glue_wasm);
    let glue_js = bundle.join(format!("{CLIENT}.js"));
    let assets = hashed_bundle(&bundle, &glue_wasm, &glue_js)?;
    let page = bundle.join("index.html");
    let boot = &assets[2].0;
    let template = read(&workspace.join("client/index.html"))?;
    let html = page_with_script(&template, boot)?;
    fs::write(&page, html).map_err(|e| e.to_string())?;
    write_assets(&out, &assets, &page)
}

/// Adds the wasm target to the active toolchain when it lacks it. The toolchain file lists it,
/// but rustup adds listed targets only when it installs toolchains by itself, which
/// `RUSTUP_AUTO_INSTALL=0` (common on CI and locked-down machines) turns off.
fn ensure_wasm_target() -> BuildResult<()> {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let sysroot = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|output| output.status.success())
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .map(|text| PathBuf::from(text.trim()))
        .ok_or_else(|| format!("`{rustc} --print sysroot` failed"))?;
    if sysroot.join("lib/rustlib").join(WASM_TARGET).is_dir() {
        return Ok(());
    }
    // rustup names the toolchain it runs; without rustup, a toolchain's sysroot is its name.
    let toolchain = env::var("RUSTUP_TOOLCHAIN").unwrap_or_else(|_| {
        sysroot
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    let command = format!("rustup target add {WASM_TARGET} --toolchain {toolchain}");
    say(&format!(
        "adding the {WASM_TARGET} target for the web client: {command}"
    ));
    match Command::new("rustup")
        .args(["target", "add", WASM_TARGET, "--toolchain", &toolchain])
        .status()
    {
        Ok(status) if status.success() => {
            println!(
                "cargo::warning=added the {WASM_TARGET} target to toolchain {toolchain} (`{command}`), once"
            );
            Ok(())
        }
        Ok(_) => Err(format!(
            "`{command}` failed (see above). Run it by hand, or build the server without the \
             client: FIBSTACK_EMBED_CLIENT=0"
        )),
        Err(_) => Err(format!(
            "the toolchain at {} lacks the {WASM_TARGET} target and rustup is not on PATH to add \
             it: run `{command}` (or install your distribution's wasm32 standard library), or build \
             the server without the client: FIBSTACK_EMBED_CLIENT=0",
            sysroot.display()
        )),
    }
}

/// Runs cargo for the client's wasm; returns the path of the `.wasm` it wrote.
fn compile_client(workspace: &Path, out: &Path) -> BuildResult<PathBuf> {
    let target_dir = client_target_dir(out)?;
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command
        .current_dir(workspace)
        .args([
            "build",
            "-p",
            CLIENT,
            "--target",
            WASM_TARGET,
            "--profile",
            PROFILE,
        ])
        .arg("--target-dir")
        .arg(&target_dir);
    // What the outer build sets for its own (host) compilation must not leak into the client's.
    for (name, _) in env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        let leaks = name.starts_with("CARGO_CFG_")
            || name.starts_with("CARGO_FEATURE_")
            || name.starts_with("DEP_")
            || name.starts_with("CLIPPY_")
            || name.starts_with("CARGO_BUILD_TARGET")
            || matches!(
                name,
                "CARGO_ENCODED_RUSTFLAGS"
                    | "RUSTFLAGS"
                    | "RUSTC_WORKSPACE_WRAPPER"
                    | "RUSTC_WRAPPER"
                    | "CARGO_TARGET_DIR"
                    | "CARGO_MAKEFLAGS"
                    | "OUT_DIR"
                    | "TARGET"
                    | "HOST"
                    | "PROFILE"
                    | "OPT_LEVEL"
                    | "DEBUG"
                    | "NUM_JOBS"
            );
        if leaks {
            command.env_remove(name);
        }
    }
    let status = command
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!(
            "cargo build -p {CLIENT} --target {WASM_TARGET} failed (see above). To build the \
             server without the client: FIBSTACK_EMBED_CLIENT=0"
        ));
    }
    let wasm = target_dir
        .join(WASM_TARGET)
        .join(PROFILE)
        .join(format!("{CLIENT}.wasm"));
    if wasm.exists() {
        Ok(wasm)
    } else {
        Err(format!(
            "{} is missing after the client's build",
            wasm.display()
        ))
    }
}

/// `<outer target dir>/client-wasm`: found from OUT_DIR (`<target>/<profile>/build/<pkg>/out`),
/// so a user's `CARGO_TARGET_DIR` is respected and every profile shares one client build.
fn client_target_dir(out: &Path) -> BuildResult<PathBuf> {
    let build = out
        .ancestors()
        .find(|dir| dir.file_name().is_some_and(|name| name == "build"))
        .ok_or("OUT_DIR is not inside a build directory")?;
    let target = build
        .parent()
        .and_then(Path::parent)
        .ok_or("OUT_DIR is too shallow")?;
    Ok(target.join("client-wasm"))
}

/// wasm-opt roughly halves the wasm. Binaryen older than 116 is skipped: its output fails in
/// browsers (Debian's 108 does).
fn shrink(wasm: &Path) {
    let tool = "wasm-opt";
    let version = Command::new(tool)
        .arg("--version")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| {
            text.split_whitespace()
                .find_map(|word| word.parse::<u32>().ok())
        });
    if version.is_none_or(|version| version < 116) {
        println!(
            "cargo::warning=wasm-opt 116 or newer not found: the client works, at twice the size \
             (`cargo install wasm-opt --version 0.116.1 --locked` installs one, in about 5 minutes)"
        );
        return;
    }
    let optimised = wasm.with_extension("opt.wasm");
    let status = Command::new(tool)
        .args([
            "-Oz",
            "--enable-bulk-memory",
            "--enable-nontrapping-float-to-int",
        ])
        .args([
            "--enable-sign-ext",
            "--enable-mutable-globals",
            "--enable-reference-types",
        ])
        .arg("--enable-multivalue")
        .arg("-o")
        .arg(&optimised)
        .arg(wasm)
        .status();
    if status.is_ok_and(|status| status.success()) {
        let _ = fs::rename(&optimised, wasm);
    }
}

/// Renames the wasm and its glue after their contents and writes the boot script that loads
/// them; returns `(url path, content type, file)` for each, the boot script third.
fn hashed_bundle(
    bundle: &Path,
    wasm: &Path,
    glue: &Path,
) -> BuildResult<Vec<(String, &'static str, PathBuf)>> {
    let wasm_name = format!("{CLIENT}_bg-{}.wasm", content_hash(&read_bytes(wasm)?));
    let glue_name = format!("{CLIENT}-{}.js", content_hash(&read_bytes(glue)?));
    fs::rename(wasm, bundle.join(&wasm_name)).map_err(|e| e.to_string())?;
    fs::rename(glue, bundle.join(&glue_name)).map_err(|e| e.to_string())?;
    let boot = format!(
        "import init from '/{glue_name}';\nawait init({{ module_or_path: '/{wasm_name}' }});\n"
    );
    let boot_name = format!("fibstack-boot-{}.js", content_hash(boot.as_bytes()));
    fs::write(bundle.join(&boot_name), boot).map_err(|e| e.to_string())?;
    Ok(vec![
        (
            format!("/{wasm_name}"),
            "application/wasm",
            bundle.join(wasm_name),
        ),
        (
            format!("/{glue_name}"),
            "text/javascript",
            bundle.join(glue_name),
        ),
        (
            format!("/{boot_name}"),
            "text/javascript",
            bundle.join(boot_name),
        ),
    ])
}

/// The trunk line of client/index.html becomes the production script tag (a file, not inline:
/// the page's policy allows scripts only from its own origin).
fn page_with_script(template: &str, boot: &str) -> BuildResult<String> {
    let mut found = false;
    let mut html = String::with_capacity(template.len());
    for line in template.lines() {
        if line.contains("<link data-trunk rel=\"rust\"") {
            found = true;
            let _ = writeln!(html, "  <script type=\"module\" src=\"{boot}\"></script>");
        } else {
            html.push_str(line);
            html.push('\n');
        }
    }
    if found {
        Ok(html)
    } else {
        Err("client/index.html lost its data-trunk rust line".to_owned())
    }
}

/// `client_assets.rs`: each file and its gzip form as `include_bytes!`, so the binary carries
/// them and compresses nothing at run time.
fn write_assets(
    out: &Path,
    assets: &[(String, &'static str, PathBuf)],
    page: &Path,
) -> BuildResult<()> {
    // Inside OUT_DIR: a build never writes into the source tree (the placeholder lives there).
    let gzip_dir = out.join("gzip");
    let _ = fs::remove_dir_all(&gzip_dir);
    fs::create_dir_all(&gzip_dir).map_err(|e| e.to_string())?;
    let mut code = String::from("static ASSETS: &[Asset] = &[\n");
    for (path, content_type, file) in assets {
        let (plain, gzip) = with_gzip(file, &gzip_dir)?;
        let _ = writeln!(
            code,
            "    Asset {{ path: {path:?}, content_type: {content_type:?}, plain: include_bytes!({plain:?}), gzip: include_bytes!({gzip:?}) }},"
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
fn with_gzip(file: &Path, gzip_dir: &Path) -> BuildResult<(String, String)> {
    use std::io::Write as _;
    let name = file
        .file_name()
        .ok_or_else(|| format!("{} has no file name", file.display()))?;
    let gzip = gzip_dir.join(format!("{}.gz", name.to_string_lossy()));
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder
        .write_all(&read_bytes(file)?)
        .map_err(|e| e.to_string())?;
    let compressed = encoder.finish().map_err(|e| e.to_string())?;
    fs::write(&gzip, compressed).map_err(|e| format!("cannot write {}: {e}", gzip.display()))?;
    Ok((file.display().to_string(), gzip.display().to_string()))
}

/// 16 hex digits of FNV-1a: enough to tell builds apart in a file name.
fn content_hash(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{hash:016x}")
}

fn read(path: &Path) -> BuildResult<String> {
    fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn read_bytes(path: &Path) -> BuildResult<Vec<u8>> {
    fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Cargo shows a build script's output only at the end; a terminal, when there is one, hears
/// about the long step as it starts.
fn say(message: &str) {
    use std::io::Write as _;
    if let Ok(mut tty) = fs::OpenOptions::new().write(true).open("/dev/tty") {
        let _ = writeln!(tty, "   fibstack: {message}");
    }
}
