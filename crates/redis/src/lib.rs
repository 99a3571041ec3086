//! The Redis adapter: job queue, bounded value cache and change events.
//!
//! # Layout
//! - [`config`]: where Redis is and how to reach it (`REDIS_HOST`, `REDIS_PORT`, `REDIS_TLS`,
//!   `REDIS_CA_FILE`, `REDIS_USERNAME`, `REDIS_PASSWORD`, `REDIS_CLUSTER`), and the connections.
//! - `connection`: one connection type over a single node or a Redis Cluster.
//! - [`keys`]: every key and channel name, in one place.
//! - `lua/`: the multi-step changes that must be atomic, run as server-side scripts.
//! - [`cache`]: the api's side: queue a job unless it is done or queued, read values and statuses.
//! - [`jobs`]: the worker's side: take, keep alive, complete or fail a job; reclaim stale ones.
//! - [`events`]: the change events, published by scripts and relayed to each api replica.
//! - [`roster`]: the api replicas and workers, as each reports itself every second.
//!
//! # Semantics
//! The queue is the stream `{fib}:jobs` read by the consumer group `workers`: each entry goes to one
//! worker and stays pending until that worker acknowledges it, which it does in the same script
//! that stores the value and announces it — so a value is never announced before it can be read,
//! and a job is never dropped before its value exists. Entries pending longer than the reclaim
//! idle time belong to a dead worker and are claimed by another (at-least-once). A live worker
//! keeps its entry fresh while it computes, so long jobs are not stolen.
//!
//! Values are a cache bounded by bytes, oldest stored evicted first: Postgres holds the record of
//! what was submitted, and a value that is missing is queued again when someone asks for it.

pub mod cache;
pub mod config;
mod connection;
mod errors;
pub mod events;
pub mod jobs;
pub mod keys;
pub mod roster;
mod stream_id;

pub use cache::ValueCache;
pub use config::{RedisConfig, RedisTls};
pub use connection::RedisConnection;
pub use events::EventRelay;
pub use jobs::{JobStream, JobStreamSettings};
pub use roster::RedisRoster;
