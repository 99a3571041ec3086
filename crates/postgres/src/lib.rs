//! The Postgres adapter: the durable record of every submitted index.
//!
//! # Layout
//! - `config`: connection settings from the libpq variables (`PGHOST`, `PGPORT`, …).
//! - `submissions`: [`Submissions`], the queries the api needs, over a shared pool.
//! - `batch`: concurrent submissions written in one statement and one commit.
//! - `migrations/`: versioned schema, embedded in the binary and applied by `SubmissionLog::migrate`.
//!   sqlx takes a Postgres advisory lock while migrating, so replicas starting together are safe.

mod batch;
mod config;
mod errors;
mod submissions;

pub use config::PgConfig;
pub use submissions::Submissions;
