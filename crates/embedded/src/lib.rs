//! The all-in-one binary's storage: one SQLite file and in-process signals, behind the same
//! traits as Postgres and Redis, so the api and the worker run unchanged on top of it.
//!
//! # Layout
//! - `store`: [`EmbeddedStore`], opening the file (one process at a time) and its settings.
//! - `submissions`: the durable record ([`fibstack_core::store::SubmissionLog`]), and taking a
//!   submission in, its job and record in one write ([`fibstack_core::store::Intake`]).
//! - `values`: queueing and reading values ([`fibstack_core::store::ValueStore`]).
//! - `jobs`: the worker's side ([`fibstack_core::store::JobSource`]), [`EmbeddedJobs`].
//! - `writer`: group commit, every write's way to the file; `intake`: submissions grouped into
//!   one write.
//! - `migrations/`: the schema, applied when the file is opened.
//!
//! # Semantics
//! The same as the Redis queue: a job stays in the `jobs` table until its value is stored (in the
//! same transaction) or it is failed; a job whose claim ran out is delivered again. Events go to a
//! sink (the api's event streams) after the transaction commits, so a reader that gets one can
//! read the value.
//! Writes go through one connection (SQLite has one writer anyway), owned by one thread, in
//! batches of whatever arrived during the previous commit, one fsync each (`writer`); reads go
//! through a small async pool (sqlx), which also applies the schema.

mod errors;
mod intake;
mod jobs;
mod store;
mod submissions;
mod values;
mod writer;

pub use jobs::EmbeddedJobs;
pub use store::{EmbeddedSettings, EmbeddedStore, OpenError};
