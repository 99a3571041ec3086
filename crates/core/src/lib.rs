//! The pure heart of fibstack: no I/O, no runtime, nothing that cannot run in a browser.
//!
//! # Layout
//! - [`index`]: [`FibIndex`], the only way into the system for an index, parsed once at the edge.
//! - [`fib`]: the exact arithmetic, F(0)=0, F(1)=1 (feature `arith`, native targets only).
//! - [`decimal`]: the exact decimal conversion of large values, faster than malachite's and GMP's
//!   (feature `arith`).
//! - [`summary`]: how a long decimal value is shortened for lists.
//! - [`http`]: the JSON shapes of the HTTP contract, shared by the api and the web client.
//! - [`backend_error`]: the error every storage adapter reports, so callers can tell "down" from
//!   "broken".
//! - [`pem`]: whether a CA file the adapters are given holds a certificate at all.
//! - [`clock`]: where stores read the time, so tests can move it instead of sleeping.
//! - [`backoff`]: the waits between attempts to reach a service that is away.
//! - [`store`]: the traits between the roles and their storage, and the types they exchange.
//! - [`trace`]: the W3C `traceparent` a submission's job carries to the worker.
//! - [`roster`]: who is running (api replicas and workers report themselves), for the system view.
//! - `conformance` (feature `testing`): what every storage backend must decide alike, as checks
//!   each backend's tests run; `memory`: the storage traits kept in memory, for the roles' tests.
//!
//! The web client builds this crate with `default-features = false` for `wasm32-unknown-unknown`,
//! so validation has exactly one definition on both sides of the wire.

pub mod backend_error;
pub mod backoff;
pub mod clock;
#[cfg(any(test, feature = "testing"))]
pub mod conformance;
#[cfg(feature = "arith")]
pub mod decimal;
#[cfg(feature = "arith")]
pub mod fib;
pub mod http;
pub mod index;
#[cfg(any(test, feature = "testing"))]
pub mod memory;
pub mod pem;
pub mod roster;
pub mod store;
pub mod summary;
pub mod trace;

pub use backend_error::{BackendError, Service};
pub use index::{FibIndex, IndexError, IndexPolicy};
