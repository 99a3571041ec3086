//! What every handler shares.

use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use fibstack_core::IndexPolicy;
use fibstack_core::roster::Roster;
use fibstack_core::store::{EventFeed, Intake, SubmissionLog, ValueStore};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::hub::EventHub;
use super::lists::ListCache;
use super::metrics::Metrics;

/// What the api reads and writes, and where its value events come from; `wiring` opens it.
#[derive(Debug)]
pub struct ApiStorage {
    /// Submissions in: the queue and the record, in one write where one store keeps both.
    pub intake: Arc<dyn Intake>,
    pub submissions: Arc<dyn SubmissionLog>,
    pub values: Arc<dyn ValueStore>,
    /// Where this process's value events arrive, for its event streams and its list cache.
    pub events: Arc<EventHub>,
    /// Feeds `events` from outside (Redis); `None` when this process's own workers publish
    /// into it.
    pub feed: Option<Box<dyn EventFeed>>,
    /// Where the api replicas and workers report themselves, beside the queue.
    pub roster: Arc<dyn Roster>,
}

/// Open event streams per process.
const MAX_EVENT_STREAMS: usize = 4096;

/// Cloned for every request by each layer that reads it, so cloning is one reference count
/// (cloning the fields one by one took a tenth of the api's CPU time on cached answers).
#[derive(Debug, Clone)]
pub struct AppState(Arc<Shared>);

#[derive(Debug)]
pub struct Shared {
    /// Where submissions go in: the queue and the record together.
    pub intake: Arc<dyn Intake>,
    /// The record of submissions: Postgres, or the embedded store.
    pub submissions: Arc<dyn SubmissionLog>,
    /// The queue and the values: Redis, or the embedded store.
    pub values: Arc<dyn ValueStore>,
    pub policy: IndexPolicy,
    /// Value events (relayed from Redis, or sent by in-process workers), fanned out to every
    /// SSE client of this process.
    pub events: Arc<EventHub>,
    /// The api replicas and workers, for the system view; this replica reports as `name`.
    pub roster: Arc<dyn Roster>,
    pub name: String,
    /// List answers kept between changes.
    pub lists: Arc<ListCache>,
    /// One permit per open event stream, so open connections stay bounded.
    pub stream_slots: Arc<Semaphore>,
    pub metrics: Metrics,
    /// Set once the migrations have run; until then, data routes answer 503.
    pub schema_ready: AtomicBool,
    /// True while this process receives value events.
    pub events_subscribed: Arc<AtomicBool>,
    /// Ends event streams on shutdown so the server can drain.
    pub shutdown: CancellationToken,
    /// Why this process stopped serving: a backing service refused its settings (one line,
    /// naming the variables to look at). Set once; the process then exits with it.
    pub refusal: OnceLock<String>,
}

impl AppState {
    /// The state over `storage`, with the schema not yet known to be current; and the event
    /// feed to run, if events come from outside the process.
    pub fn new(
        storage: ApiStorage,
        policy: IndexPolicy,
        shutdown: CancellationToken,
    ) -> (AppState, Option<Box<dyn EventFeed>>) {
        Self::with_metrics(storage, policy, Metrics::default(), shutdown)
    }

    /// [`AppState::new`], counting into `metrics`.
    pub fn with_metrics(
        storage: ApiStorage,
        policy: IndexPolicy,
        metrics: Metrics,
        shutdown: CancellationToken,
    ) -> (AppState, Option<Box<dyn EventFeed>>) {
        let ApiStorage {
            intake,
            submissions,
            values,
            events,
            feed,
            roster,
        } = storage;
        // Events sent in process need no subscription: they flow from the start.
        let events_subscribed = match &feed {
            Some(feed) => feed.connected(),
            None => Arc::new(AtomicBool::new(true)),
        };
        let state = AppState::from(Shared {
            intake,
            submissions,
            values,
            policy,
            lists: events.lists(),
            events,
            roster,
            name: crate::presence::unique_name("api"),
            stream_slots: Arc::new(Semaphore::new(MAX_EVENT_STREAMS)),
            metrics,
            schema_ready: AtomicBool::new(false),
            events_subscribed,
            shutdown,
            refusal: OnceLock::new(),
        });
        (state, feed)
    }

    pub fn is_schema_ready(&self) -> bool {
        self.schema_ready.load(Ordering::Acquire)
    }
}

impl From<Shared> for AppState {
    fn from(shared: Shared) -> Self {
        AppState(Arc::new(shared))
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
