//! What every handler shares. Cloning is cheap: handles and `Arc`s.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use fibstack_core::IndexPolicy;
use fibstack_core::store::{RelayedEvent, SubmissionLog, ValueStore};
use tokio::sync::{Semaphore, broadcast};
use tokio_util::sync::CancellationToken;

use super::metrics::Metrics;

#[derive(Debug, Clone)]
pub struct AppState {
    /// The record of submissions: Postgres, or the embedded store.
    pub submissions: Arc<dyn SubmissionLog>,
    /// The queue and the values: Redis, or the embedded store.
    pub values: Arc<dyn ValueStore>,
    pub policy: IndexPolicy,
    /// Value events (relayed from Redis, or sent by in-process workers), fanned out to every
    /// SSE client of this process.
    pub events: broadcast::Sender<RelayedEvent>,
    /// One permit per open event stream, so open connections stay bounded.
    pub stream_slots: Arc<Semaphore>,
    pub metrics: Arc<Metrics>,
    /// Set once the migrations have run; until then, data routes answer 503.
    pub schema_ready: Arc<AtomicBool>,
    /// True while this process receives value events.
    pub events_subscribed: Arc<AtomicBool>,
    /// Ends event streams on shutdown so the server can drain.
    pub shutdown: CancellationToken,
}

impl AppState {
    pub fn is_schema_ready(&self) -> bool {
        self.schema_ready.load(Ordering::Acquire)
    }
}
