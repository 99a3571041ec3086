//! fibstack's services as local processes on loopback: Postgres, Redis, the nginx router and
//! client server, the api and the workers. `scripts/stack` runs the whole topology with it (the
//! `fibstack-stack` binary), and the integration tests start their throwaway servers with it,
//! so a service is started the same way wherever it runs outside a container.
//!
//! # Layout
//! - [`ports`], [`wait`]: free loopback ports; waiting for a condition, with a deadline.
//! - [`process`]: a child its owner stops on drop ([`process::Service`]), or a service meant to
//!   outlive the command that started it, known by its pid file ([`process::Detached`]).
//! - [`postgres`], [`redis`], [`nginx`]: how each server is found, prepared and started.
//! - [`stack`]: the topology of `scripts/stack`: its state folder, ports, `up`, `down`, `status`.
//! - [`drill`], [`http`]: what the fault drill (`scripts/drill`, the binary `fibstack-drill`)
//!   judges, and the small HTTP client its load uses.

pub mod drill;
pub mod http;
pub mod nginx;
pub mod ports;
pub mod postgres;
pub mod process;
pub mod redis;
pub mod stack;
pub mod wait;

use std::path::{Path, PathBuf};

/// The checkout this crate was built from: where `nginx/render.sh` and the client live.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap_or(Path::new("."))
        .to_owned()
}
