//! The fibstack web client: Leptos, rendered in the browser from wasm.
//!
//! # Layout
//! - [`app`]: the components — the app shell and its pages, the calculator form, the lists.
//! - [`route`]: which page the address shows, links that switch pages without reloading.
//! - [`store`]: the page's state, shared through context, loaded once and kept current by events.
//! - [`model`]: what the page shows, as plain data (tested natively).
//! - [`api`]: typed calls to `/api`, every failure a sentence. [`events`]: the live stream.
//! - [`save`]: copying and downloading whole values.
//! - [`system`]: the system view, live; [`trend`]: its figures and chart as plain data.
//!
//! Validation is `fibstack-core`'s [`IndexPolicy`](fibstack_core::IndexPolicy), the server's own.

pub mod api;
pub mod app;
pub mod events;
pub mod model;
pub mod route;
pub mod save;
pub mod store;
pub mod system;
pub mod trend;
