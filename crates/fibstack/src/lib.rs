//! fibstack: the Fibonacci calculator as a real multi-service system, in one binary.
//!
//! # Layout
//! - [`api`]: the HTTP contract (axum) over its storage.
//! - [`worker`]: takes jobs from the queue, computes, stores, announces.
//! - [`all`]: both, and the web client ([`web`]), in one process: the default command.
//! - [`wiring`]: opens the storage each role works on: Postgres and Redis, or the embedded store.
//! - [`config`]: the environment, read once and checked, each problem named by its variable.
//! - [`healthcheck`]: the probe container `HEALTHCHECK`s run.
//! - [`presence`]: each api replica and worker reporting itself to the roster.
//! - [`telemetry`], [`shutdown`]: shared by every role.
//!
//! The arithmetic, the index type and the HTTP types live in `fibstack-core`; the storage
//! adapters in `fibstack-postgres`, `fibstack-redis` and `fibstack-embedded`. `build.rs` embeds
//! the web client's bundle, built by `fibstack-bundle`; the integration tests start their
//! servers with `fibstack-devstack`, as `scripts/stack` does.

pub mod all;
pub mod api;
pub mod config;
pub mod healthcheck;
pub mod presence;
pub mod shutdown;
pub mod telemetry;
pub mod web;
pub mod wiring;
pub mod worker;
