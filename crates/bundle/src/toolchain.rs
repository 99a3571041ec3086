//! The Rust side: the wasm target in the toolchain, and the nested cargo that compiles the
//! client for it.

use crate::{BundleError, CLIENT, Progress};
use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// The workspace's size-optimised profile for the client.
pub const PROFILE: &str = "wasm-release";

/// Adds the wasm target to the active toolchain when it lacks it. `rust-toolchain.toml` lists
/// it, but rustup adds listed targets only when it installs a toolchain by itself, which
/// `RUSTUP_AUTO_INSTALL=0` (common on CI and locked-down machines) turns off.
pub fn ensure_wasm_target(progress: &mut dyn Progress) -> Result<(), BundleError> {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let sysroot = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|output| output.status.success())
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .map(|text| PathBuf::from(text.trim()))
        .ok_or_else(|| BundleError::Sysroot {
            rustc: rustc.clone(),
        })?;
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
    progress.step(&format!("adding the {WASM_TARGET} target: {command}"));
    match Command::new("rustup")
        .args(["target", "add", WASM_TARGET, "--toolchain", &toolchain])
        .status()
    {
        Ok(status) if status.success() => {
            progress.warning(&format!(
                "added the {WASM_TARGET} target to toolchain {toolchain} (`{command}`), once"
            ));
            Ok(())
        }
        Ok(_) => Err(BundleError::AddTarget { command }),
        Err(_) => Err(BundleError::NoRustup { sysroot, command }),
    }
}

/// Compiles the client for wasm into `target_dir`; returns the `.wasm` it wrote.
pub fn compile_client(workspace: &Path, target_dir: &Path) -> Result<PathBuf, BundleError> {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(&cargo);
    command
        .current_dir(workspace)
        .args(["build", "--locked", "-p", CLIENT])
        .args(["--target", WASM_TARGET, "--profile", PROFILE])
        .arg("--target-dir")
        .arg(target_dir);
    for (name, _) in env::vars_os() {
        if name.to_str().is_some_and(set_for_the_outer_build) {
            command.env_remove(name);
        }
    }
    let status = command.status().map_err(|source| BundleError::Run {
        program: cargo,
        source,
    })?;
    if !status.success() {
        return Err(BundleError::Compile {
            command: format!("cargo build -p {CLIENT} --target {WASM_TARGET} --profile {PROFILE}"),
        });
    }
    let wasm = target_dir
        .join(WASM_TARGET)
        .join(PROFILE)
        .join(format!("{CLIENT}.wasm"));
    if wasm.exists() {
        Ok(wasm)
    } else {
        Err(BundleError::NoWasm(wasm))
    }
}

/// What cargo sets for a build script and its own compilations (the host's target, features,
/// flags, wrappers, job server, target directory): none of it may reach the client's build.
fn set_for_the_outer_build(name: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "CARGO_CFG_",
        "CARGO_FEATURE_",
        "CARGO_BUILD_TARGET",
        "DEP_",
        "CLIPPY_",
    ];
    const NAMES: &[&str] = &[
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_WRAPPER",
        "CARGO_TARGET_DIR",
        "CARGO_MAKEFLAGS",
        "OUT_DIR",
        "TARGET",
        "HOST",
        "PROFILE",
        "OPT_LEVEL",
        "DEBUG",
        "NUM_JOBS",
    ];
    PREFIXES.iter().any(|prefix| name.starts_with(prefix)) || NAMES.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outer_builds_settings_are_kept_from_the_client() {
        for name in [
            "CARGO_CFG_TARGET_ARCH",
            "CARGO_FEATURE_ARITH",
            "CARGO_ENCODED_RUSTFLAGS",
            "RUSTC_WRAPPER",
            "CARGO_TARGET_DIR",
            "TARGET",
            "DEP_Z_INCLUDE",
        ] {
            assert!(set_for_the_outer_build(name), "{name} would leak");
        }
    }

    #[test]
    fn the_users_environment_reaches_the_client() {
        for name in [
            "PATH",
            "HOME",
            "CARGO_HOME",
            "CARGO_NET_OFFLINE",
            "RUSTUP_TOOLCHAIN",
        ] {
            assert!(!set_for_the_outer_build(name), "{name} would be lost");
        }
    }
}
