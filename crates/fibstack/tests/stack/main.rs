//! Integration tests against real Postgres, Redis and nginx processes and the real binary, and
//! against the binary alone on its embedded store (`fibstack all`).
//! Each test gets its own services on free ports; nothing is shared, so they run in parallel.

mod all_in_one;
mod browser;
mod conformance;
mod contract;
mod events;
mod faults;
mod lifecycle;
mod operations;
mod postgres_tls;
mod redis_cluster;
mod redis_tls;
mod refusals;
mod router;
mod support;
mod system;
mod traces;
