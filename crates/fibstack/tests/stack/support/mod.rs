//! Real services for the integration tests: Postgres, Redis, nginx and the `fibstack` binary
//! itself, each on a free loopback port in its own temporary directory, stopped on drop. The
//! servers are started with `fibstack-devstack`, as `scripts/stack` starts them; what is only for
//! tests (TLS-only servers, a Redis Cluster, clients of them) lives here.

pub mod browser;
pub mod collector;
pub mod http;
pub mod nginx;
pub mod postgres;
pub mod process;
pub mod redis;
pub mod slow_job;
pub mod stack;
pub mod tls;

pub use stack::{Backend, StackOptions, TestStack, assert_refusal_line, sample};
