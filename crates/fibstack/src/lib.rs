//! fibstack: the Fibonacci calculator as a real multi-service system, in one binary.
//!
//! # Layout
//! - [`api`]: the HTTP contract (axum) over Postgres and Redis.
//! - [`worker`]: takes jobs from the Redis stream, computes, stores, announces.
//! - [`config`]: the environment, read once and checked, each problem named by its variable.
//! - [`healthcheck`]: the probe container `HEALTHCHECK`s run.
//! - [`telemetry`], [`shutdown`]: shared by every role.
//!
//! The arithmetic, the index type and the HTTP types live in `fibstack-core`; the storage
//! adapters in `fibstack-postgres` and `fibstack-redis`.

pub mod api;
pub mod config;
pub mod healthcheck;
pub mod shutdown;
pub mod telemetry;
pub mod worker;
