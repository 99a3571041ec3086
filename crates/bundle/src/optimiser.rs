//! wasm-opt, which roughly halves the client's wasm.

use crate::{BundleError, Progress};
use std::path::Path;
use std::process::Command;

/// Binaryen older than this writes wasm that fails in browsers (Debian 12's 108 does).
pub const MINIMUM_VERSION: u32 = 116;

const TOOL: &str = "wasm-opt";

/// Whether the wasm goes through wasm-opt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Optimise {
    /// A bundle to ship: without a recent wasm-opt the build fails.
    Required,
    /// When a recent wasm-opt is installed; otherwise a warning, and a page twice the size
    /// (`cargo run --release` on a machine without binaryen).
    WhenInstalled,
    /// Never: the same page at twice the size (tests that need a working page, not a small one).
    Skip,
}

pub(crate) fn shrink(
    wasm: &Path,
    optimise: Optimise,
    progress: &mut dyn Progress,
) -> Result<(), BundleError> {
    if optimise == Optimise::Skip {
        progress.step("wasm-opt skipped: the wasm is about twice its shipped size");
        return Ok(());
    }
    let found = Command::new(TOOL)
        .arg("--version")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok());
    let version = found.as_deref().and_then(version_of);
    if version.is_none_or(|version| version < MINIMUM_VERSION) {
        let found = match version {
            Some(version) => format!("the one on PATH is {version}"),
            None => "none is on PATH".to_owned(),
        };
        if optimise == Optimise::Required {
            return Err(BundleError::NoOptimiser { found });
        }
        progress.warning(&format!(
            "wasm-opt {MINIMUM_VERSION} or newer not found ({found}): the client works, at twice \
             the size (`cargo install wasm-opt --version 0.116.1 --locked` installs one, in \
             about 5 minutes)"
        ));
        return Ok(());
    }
    progress.step("shrinking the wasm (wasm-opt -Oz)");
    let optimised = wasm.with_extension("opt.wasm");
    let status = Command::new(TOOL)
        .arg("-Oz")
        // The features Rust's wasm32 target enables by default: wasm-opt must accept them.
        .args([
            "--enable-bulk-memory",
            "--enable-nontrapping-float-to-int",
            "--enable-sign-ext",
            "--enable-mutable-globals",
            "--enable-reference-types",
            "--enable-multivalue",
        ])
        .arg("-o")
        .arg(&optimised)
        .arg(wasm)
        .status()
        .map_err(|source| BundleError::Run {
            program: TOOL.to_owned(),
            source,
        })?;
    if !status.success() {
        return Err(BundleError::Optimise(wasm.to_owned()));
    }
    std::fs::rename(&optimised, wasm).map_err(crate::io_error("rename", &optimised))
}

/// The version `wasm-opt --version` names: its first whole number.
fn version_of(text: &str) -> Option<u32> {
    text.split_whitespace()
        .find_map(|word| word.parse::<u32>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_as_binaryen_prints_them() {
        assert_eq!(version_of("wasm-opt version 108\n"), Some(108));
        assert_eq!(
            version_of("wasm-opt version 116 (version_116)\n"),
            Some(116)
        );
        assert_eq!(version_of("command not found"), None);
    }
}
