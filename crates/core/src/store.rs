//! The boundary between the roles and their storage: what the api and the worker need, not how
//! it is kept. Postgres and Redis implement it for the multi-service stack; SQLite and in-process
//! channels implement it for the all-in-one binary. Handlers and the worker loop see only these.
//!
//! The traits use boxed futures (`async_trait`) so the roles can hold `Arc<dyn …>` and pick a
//! backend at start, from the environment.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use crate::backend_error::BackendError;
use crate::http::ValueEvent;
use crate::index::FibIndex;
use crate::trace::TraceParent;

/// The durable record of what was submitted (Postgres, or the embedded SQLite file).
#[async_trait]
pub trait SubmissionLog: Send + Sync + std::fmt::Debug {
    /// Brings the schema up to date; safe to run from several processes at once.
    async fn migrate(&self) -> Result<(), BackendError>;
    /// Records one submission.
    async fn record(&self, index: FibIndex) -> Result<(), BackendError>;
    /// The latest `limit` submissions, oldest first (the course's `/values/all`).
    async fn latest(&self, limit: u32) -> Result<Vec<FibIndex>, BackendError>;
    /// How many submissions were ever recorded (kept by the store, not counted per call).
    async fn count(&self) -> Result<u64, BackendError>;
    /// The `limit` most recently submitted distinct indexes, newest first.
    async fn recent_indexes(&self, limit: u32) -> Result<Vec<FibIndex>, BackendError>;
    /// Whether the index was ever submitted.
    async fn contains(&self, index: FibIndex) -> Result<bool, BackendError>;
    /// A round trip, for readiness.
    async fn ping(&self) -> Result<(), BackendError>;
    /// What keeps the record, for people: `postgres`, `embedded`.
    fn kind(&self) -> &'static str;
}

/// Taking in one submission: its job queued and the submission recorded.
#[async_trait]
pub trait Intake: Send + Sync + std::fmt::Debug {
    /// Queues a job for `index` (as [`ValueStore::enqueue`] decides) and records the submission,
    /// unless the queue is full: a refused submission leaves no record behind. Returns once
    /// both are kept. A job queued now carries `trace`, the submitting request's.
    async fn submit(
        &self,
        index: FibIndex,
        trace: Option<TraceParent>,
    ) -> Result<Enqueued, BackendError>;
}

/// The intake of a queue and a record kept apart (Redis and Postgres): the queue first, so a
/// refused job leaves no record behind and a retry after a failed record finds the job already
/// queued instead of queueing it twice. A store that keeps both implements [`Intake`] in one
/// write instead.
#[derive(Debug)]
pub struct QueueThenRecord {
    pub values: Arc<dyn ValueStore>,
    pub submissions: Arc<dyn SubmissionLog>,
}

#[async_trait]
impl Intake for QueueThenRecord {
    async fn submit(
        &self,
        index: FibIndex,
        trace: Option<TraceParent>,
    ) -> Result<Enqueued, BackendError> {
        let outcome = self.values.enqueue(index, trace).await?;
        if outcome != Enqueued::QueueFull {
            self.submissions.record(index).await?;
        }
        Ok(outcome)
    }
}

/// The api's side of the queue and the value cache (Redis, or the embedded store).
#[async_trait]
pub trait ValueStore: Send + Sync + std::fmt::Debug {
    /// Queues a job for `index` unless it is stored, failed recently or already queued; a job
    /// queued now carries `trace`.
    async fn enqueue(
        &self,
        index: FibIndex,
        trace: Option<TraceParent>,
    ) -> Result<Enqueued, BackendError>;
    /// [`ValueStore::enqueue`] for several indexes, in one round trip where the backend can.
    async fn enqueue_many(&self, indexes: &[FibIndex]) -> Result<Vec<Enqueued>, BackendError>;
    /// What is known about each index, in the order asked.
    async fn states(&self, indexes: &[FibIndex]) -> Result<Vec<CachedState>, BackendError>;
    /// The whole value of one index, or why there is none.
    async fn lookup(&self, index: FibIndex) -> Result<Lookup, BackendError>;
    /// The whole decimal value of each index that is stored, in the order asked.
    async fn values(&self, indexes: &[FibIndex]) -> Result<Vec<Option<String>>, BackendError>;
    /// How the queue is doing, for metrics.
    async fn queue_stats(&self) -> Result<QueueStats, BackendError>;
    /// A round trip, for readiness.
    async fn ping(&self) -> Result<(), BackendError>;
    /// What keeps the queue and the values, for people: `redis`, `embedded`.
    fn kind(&self) -> &'static str;
}

/// The worker's side of the queue: one handle per worker loop.
///
/// Delivery is at least once: a job stays pending until [`JobSource::complete`] or
/// [`JobSource::fail`], and a job whose worker stopped refreshing it is delivered again.
#[async_trait]
pub trait JobSource: Send + Sync + std::fmt::Debug {
    /// The next job, or `None` when none arrived within the backend's wait.
    async fn next(&mut self) -> Result<Option<Job>, BackendError>;
    /// Tells the queue the job is still being worked on, so it is not delivered elsewhere.
    async fn keep_alive(&self, job: &Job) -> Result<(), BackendError>;
    /// Stores the value, finishes the job and announces the value, all or nothing.
    /// `false` when an earlier delivery had already stored it (nothing is announced again).
    async fn complete(
        &self,
        job: &Job,
        index: FibIndex,
        decimal: &str,
    ) -> Result<bool, BackendError>;
    /// The jobs waiting together, up to a batch, waiting as [`JobSource::next`] does for the
    /// first. Only the last may be large (index `large_from` or more): no job waits in a
    /// worker's hands behind a long computation. A backend that takes one at a time returns one.
    async fn next_batch(&mut self, large_from: u64) -> Result<Vec<Job>, BackendError> {
        let _ = large_from;
        Ok(self.next().await?.into_iter().collect())
    }
    /// [`JobSource::complete`] for several jobs, in one write where the backend can; for each,
    /// whether it was stored now.
    async fn complete_many(&self, done: &[Computed]) -> Result<Vec<bool>, BackendError> {
        let mut stored = Vec::with_capacity(done.len());
        for computed in done {
            stored.push(
                self.complete(&computed.job, computed.index, &computed.decimal)
                    .await?,
            );
        }
        Ok(stored)
    }
    /// Gives up on the job: its index shows as failed for a while and the job leaves the queue.
    async fn fail(&self, job: &Job, reason: &str) -> Result<(), BackendError>;
    /// This worker's name, in logs (and in the Redis consumer group).
    fn worker_name(&self) -> &str;
}

/// A job and the value computed for it, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Computed {
    pub job: Job,
    pub index: FibIndex,
    pub decimal: String,
}

/// What [`ValueStore::enqueue`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    /// A new job is queued.
    Added,
    /// A job for this index is already waiting or running.
    AlreadyQueued,
    /// The value is already stored.
    AlreadyDone,
    /// The index failed recently and is not retried yet.
    Failed,
    /// The queue holds its limit of jobs; nothing was added.
    QueueFull,
}

/// How the queue and the value cache behave, the same on every backend (`FIB_QUEUE_LIMIT`,
/// `FIB_CACHE_BYTES`, `FIB_RECLAIM_IDLE_MS`, `FIB_MAX_DELIVERIES`, `FIB_FAILURE_SECS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuePolicy {
    /// Jobs waiting or running, at most; past it a submission is refused ([`Enqueued::QueueFull`]).
    pub queue_limit: u64,
    /// Bytes of decimal values kept before the oldest are evicted.
    pub cache_budget: u64,
    /// A running job not kept alive for this long is delivered again.
    pub reclaim_idle: Duration,
    /// A job delivered more times than this is failed instead of tried again.
    pub max_deliveries: u64,
    /// How long a failure is remembered before the index may be queued again.
    pub failure_memory: Duration,
}

/// The queue's figures, read when metrics are scraped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueStats {
    /// Jobs waiting or running.
    pub jobs: u64,
    /// Deliveries of a job after its first, ever: each is a worker that stopped mid-job (or a
    /// restart of the all-in-one process). Computing a value twice is only ever explained by one.
    pub redeliveries: u64,
    /// Computed values that were stored already, ever: the work redeliveries cost. At-least-once
    /// delivery means this never exceeds `redeliveries`.
    pub stored_again: u64,
    /// How long the oldest job waiting or running has been queued; `None` with an empty queue.
    /// A queue that is not drained shows here before it shows anywhere else.
    pub oldest_job_age: Option<Duration>,
    /// Bytes of decimal values held in the cache, against [`QueuePolicy::cache_budget`].
    pub cache_bytes: u64,
}

/// A computed value as the store describes it, without the digits themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredValue {
    pub digits: u64,
    pub preview: String,
    pub computed_at: Option<SystemTime>,
}

/// What the value store knows about one index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CachedState {
    Done(StoredValue),
    Failed,
    /// Queued, running, or evicted: the caller decides with the submission log.
    Unknown,
}

/// One index's whole value, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Value(String),
    Failed,
    /// Queued, running, or evicted.
    Missing,
}

impl Lookup {
    /// From what a store read: the value if stored, and whether a failure is remembered.
    pub fn from_parts(value: Option<String>, failed: bool) -> Lookup {
        match (value, failed) {
            (Some(value), _) => Lookup::Value(value),
            (None, true) => Lookup::Failed,
            (None, false) => Lookup::Missing,
        }
    }
}

/// One delivery of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The backend's name for this job (a stream entry id, a row id).
    pub id: String,
    /// The index, or why the job could not be read as one (it is then failed, not computed).
    pub index: Result<FibIndex, String>,
    /// How many times this job has been handed to a worker, this delivery included.
    pub deliveries: u64,
    /// When it was queued, where the backend knows: the start of its submit-to-value latency.
    pub queued_at: Option<SystemTime>,
    /// The trace of the request that queued it, where it had one.
    pub trace: Option<TraceParent>,
}

/// Where a backend delivers the events this process should hear of (the Redis relay, or the
/// embedded store's workers). The api's implementation forgets its cached lists before it
/// passes an event on, so whoever reacts to an event reads fresh lists.
pub trait EventSink: Send + Sync + std::fmt::Debug {
    fn publish(&self, event: RelayedEvent);
}

/// Value events from outside the process (Redis Pub/Sub), relayed into an [`EventSink`] for as
/// long as the process runs. Events published by in-process workers need none.
#[async_trait]
pub trait EventFeed: Send + Sync + std::fmt::Debug {
    /// True while events published elsewhere reach this process, for readiness.
    fn connected(&self) -> Arc<AtomicBool>;
    /// Relays events, reconnecting as needed, until `shutdown` completes.
    async fn run(self: Box<Self>, shutdown: Pin<Box<dyn Future<Output = ()> + Send>>);
}

/// What an api process passes on to its event stream clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelayedEvent {
    /// An index changed status.
    Changed(ValueEvent),
    /// Events may have been missed (a subscription was re-established): re-read the state.
    Resync,
}
