//! Integration tests against real Postgres, Redis and nginx processes and the real binary.
//! Each test gets its own services on free ports; nothing is shared, so they run in parallel.

mod browser;
mod contract;
mod events;
mod faults;
mod lifecycle;
mod refusals;
mod router;
mod support;
