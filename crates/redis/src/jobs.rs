//! The worker's side of Redis: take jobs from the stream, keep them alive, finish them.

use std::time::Duration;

use async_trait::async_trait;
use fibstack_core::http::{ValueEvent, ValueStatus};
use fibstack_core::store::{Computed, Job, JobSource, QueuePolicy};
use fibstack_core::summary::{digit_count, preview};
use fibstack_core::trace::TraceParent;
use fibstack_core::{BackendError, FibIndex, IndexPolicy, Service};
use redis::streams::{
    StreamAutoClaimOptions, StreamAutoClaimReply, StreamId, StreamPendingCountReply,
    StreamReadOptions, StreamReadReply,
};
use redis::{AsyncCommands, Script};
use tokio::time::Instant;

use crate::config::RedisConfig;
use crate::connection::RedisConnection;
use crate::errors::classify;
use crate::{keys, stream_id};

/// How long past its own timeouts a worker's Redis call may take before it is given up (and,
/// when reading jobs, its connections replaced).
const STALL_GRACE: Duration = Duration::from_secs(5);

fn stalled(deadline: Duration) -> BackendError {
    BackendError::unavailable(Service::Redis, format!("no answer within {deadline:?}"))
}

/// How a worker takes part in the consumer group.
#[derive(Debug, Clone)]
pub struct JobStreamSettings {
    /// This worker's name in the group; unique per process.
    pub consumer: String,
    /// Longest wait for a new job in one read, so the worker looks for stale jobs regularly.
    pub block: Duration,
    /// Reclaiming, failures and the cache's budget, as every backend has them.
    pub queue: QueuePolicy,
}

/// A worker's connection to the job stream.
pub struct JobStream {
    config: RedisConfig,
    commands: RedisConnection,
    /// Blocking reads get a connection of their own: on the shared one they would hold up the
    /// short commands (keep-alives, stores) queued behind them.
    reader: Option<RedisConnection>,
    settings: JobStreamSettings,
    policy: IndexPolicy,
    next_reclaim: Instant,
    reclaim_cursor: String,
    /// Whether this worker has joined the group since it started (or since Redis lost it).
    joined: bool,
}

impl std::fmt::Debug for JobStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobStream")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

static STORE: std::sync::LazyLock<Script> =
    std::sync::LazyLock::new(|| Script::new(include_str!("lua/store.lua")));
static TAKE: std::sync::LazyLock<Script> =
    std::sync::LazyLock::new(|| Script::new(include_str!("lua/take.lua")));
static FAIL: std::sync::LazyLock<Script> =
    std::sync::LazyLock::new(|| Script::new(include_str!("lua/fail.lua")));

/// Most jobs handed to a worker at once. Small jobs compute in microseconds: taking and storing
/// them in batches spares Redis, the worker and every event stream a round trip per job (a
/// batch's values reach the api in one read). 32 of the largest small ones take under a
/// millisecond.
const BATCH: usize = 32;

/// Consumers idle this long with nothing pending are removed from the group, so the list of
/// consumers does not grow with every worker restart.
const DEPARTED_AFTER: Duration = Duration::from_secs(600);

impl JobStream {
    pub fn new(
        config: RedisConfig,
        settings: JobStreamSettings,
        policy: IndexPolicy,
    ) -> Result<Self, BackendError> {
        Ok(JobStream {
            commands: config.shared_connection()?,
            config,
            reader: None,
            settings,
            policy,
            next_reclaim: Instant::now(),
            reclaim_cursor: "0-0".to_owned(),
            joined: false,
        })
    }

    /// Joins the consumer group, creating the stream and the group if this is a fresh Redis.
    async fn join(&mut self) -> Result<(), BackendError> {
        let created: redis::RedisResult<()> = self
            .commands
            .xgroup_create_mkstream(keys::JOBS, keys::GROUP, "0")
            .await;
        match created {
            Ok(()) => Ok(()),
            Err(error) if error.code() == Some("BUSYGROUP") => Ok(()),
            Err(error) => Err(self.commands.explain(error).await),
        }
    }

    async fn read_new(&mut self, block: Duration) -> redis::RedisResult<Option<Job>> {
        let reader = match &mut self.reader {
            Some(reader) => reader,
            None => {
                let connection = self
                    .config
                    .blocking_connection(block.max(self.settings.block))
                    .await
                    .map_err(|error| {
                        redis::RedisError::from((
                            redis::ErrorKind::Io,
                            "cannot connect for the blocking read",
                            error.to_string(),
                        ))
                    })?;
                self.reader.insert(connection)
            }
        };
        let options = StreamReadOptions::default()
            .group(keys::GROUP, &self.settings.consumer)
            .count(1)
            .block(millis(block));
        let reply: Option<StreamReadReply> = reader
            .xread_options(&[keys::JOBS], &[">"], &options)
            .await?;
        let entry = reply
            .into_iter()
            .flat_map(|reply| reply.keys)
            .flat_map(|key| key.ids)
            .next();
        Ok(entry.map(|entry| self.job_from(entry, 1)))
    }

    /// [`JobSource::next_batch`] without its deadline.
    async fn next_unguarded(&mut self, large_from: u64) -> Result<Vec<Job>, BackendError> {
        if !self.joined {
            self.join().await?;
            self.joined = true;
        }
        if Instant::now() >= self.next_reclaim {
            if let Some(job) = self.reclaim_one().await? {
                return Ok(vec![job]);
            }
            self.forget_departed_consumers().await?;
            self.next_reclaim = Instant::now() + self.settings.queue.reclaim_idle / 2;
        }
        let waiting = self.take_waiting(large_from).await?;
        if !waiting.is_empty() {
            return Ok(waiting);
        }
        let block = self
            .settings
            .block
            .min(self.next_reclaim.saturating_duration_since(Instant::now()))
            .max(Duration::from_millis(1));
        match self.read_new(block).await {
            Ok(job) => Ok(job.into_iter().collect()),
            Err(error) => {
                // The connection may be half-way through a reply: start the next read afresh.
                self.reader = None;
                if error.code() == Some("NOGROUP") {
                    // Redis lost its data (restart without persistence): join again.
                    self.joined = false;
                    return Ok(Vec::new());
                }
                Err(classify(error))
            }
        }
    }

    /// The jobs waiting now, without waiting for any: up to [`BATCH`], the first large one last.
    async fn take_waiting(&mut self, large_from: u64) -> Result<Vec<Job>, BackendError> {
        let taken: redis::RedisResult<Vec<(String, Vec<String>)>> = TAKE
            .key(keys::JOBS)
            .arg(keys::GROUP)
            .arg(&self.settings.consumer)
            .arg(BATCH)
            .arg(large_from)
            .invoke_async(&mut self.commands)
            .await;
        match taken {
            Ok(entries) => Ok(entries
                .into_iter()
                .map(|(id, fields)| self.job_from_fields(id, &fields, 1))
                .collect()),
            Err(error) if error.code() == Some("NOGROUP") => {
                self.joined = false;
                Ok(Vec::new())
            }
            Err(error) => Err(classify(error)),
        }
    }

    /// Takes over one job that a worker has not touched for the reclaim idle time.
    async fn reclaim_one(&mut self) -> Result<Option<Job>, BackendError> {
        let options = StreamAutoClaimOptions::default().count(1);
        let reply: StreamAutoClaimReply = self
            .commands
            .xautoclaim_options(
                keys::JOBS,
                keys::GROUP,
                &self.settings.consumer,
                millis(self.settings.queue.reclaim_idle),
                &self.reclaim_cursor,
                options,
            )
            .await
            .or_else(|error| match error.code() {
                Some("NOGROUP") => Ok(StreamAutoClaimReply::default()),
                _ => Err(classify(error)),
            })?;
        self.reclaim_cursor = reply.next_stream_id;
        if self.reclaim_cursor.is_empty() {
            self.reclaim_cursor = "0-0".to_owned();
        }
        let Some(entry) = reply.claimed.into_iter().next() else {
            return Ok(None);
        };
        let pending: StreamPendingCountReply = self
            .commands
            .xpending_count(keys::JOBS, keys::GROUP, &entry.id, &entry.id, 1)
            .await
            .map_err(classify)?;
        let deliveries = pending
            .ids
            .first()
            .map_or(1, |pending| pending.times_delivered as u64);
        let _: u64 = self
            .commands
            .incr(keys::REDELIVERIES, 1)
            .await
            .map_err(classify)?;
        // A reclaim found work: look again right away, there may be more from the same worker.
        self.next_reclaim = Instant::now();
        Ok(Some(self.job_from(entry, deliveries)))
    }

    async fn forget_departed_consumers(&mut self) -> Result<(), BackendError> {
        let consumers: Result<redis::streams::StreamInfoConsumersReply, _> =
            self.commands.xinfo_consumers(keys::JOBS, keys::GROUP).await;
        let Ok(consumers) = consumers else {
            return Ok(()); // no stream or group yet: nothing to tidy
        };
        for consumer in consumers.consumers {
            let departed = consumer.pending == 0
                && consumer.idle as u128 >= DEPARTED_AFTER.as_millis()
                && consumer.name != self.settings.consumer;
            if departed {
                let _: i64 = redis::cmd("XGROUP")
                    .arg("DELCONSUMER")
                    .arg(keys::JOBS)
                    .arg(keys::GROUP)
                    .arg(&consumer.name)
                    .query_async(&mut self.commands)
                    .await
                    .map_err(classify)?;
            }
        }
        Ok(())
    }

    fn job_from(&self, entry: StreamId, deliveries: u64) -> Job {
        let index = entry.get::<String>("index");
        let trace = entry.get::<String>("trace");
        self.job_with(entry.id, index, trace, deliveries)
    }

    /// A job from an entry's fields as a script returns them: `[field, value, …]`.
    fn job_from_fields(&self, id: String, fields: &[String], deliveries: u64) -> Job {
        let field = |name: &str| {
            fields
                .chunks(2)
                .find(|pair| pair[0] == name)
                .and_then(|pair| pair.get(1).cloned())
        };
        self.job_with(id, field("index"), field("trace"), deliveries)
    }

    fn job_with(
        &self,
        id: String,
        index: Option<String>,
        trace: Option<String>,
        deliveries: u64,
    ) -> Job {
        let index = match index {
            Some(raw) => self
                .policy
                .parse_str(&raw)
                .map_err(|error| format!("job {raw:?} is not a valid index: {error}")),
            None => Err("job has no index field".to_owned()),
        };
        Job {
            queued_at: stream_id::added_at(&id),
            id,
            index,
            deliveries,
            // A trace that does not read is left out: the job is computed all the same.
            trace: trace.as_deref().and_then(TraceParent::parse),
        }
    }
}

#[async_trait]
impl JobSource for JobStream {
    /// The next job: a stale one from a dead worker when one is due, else a new one, waiting up
    /// to the block time. `None` when nothing came; call again.
    async fn next(&mut self) -> Result<Option<Job>, BackendError> {
        // Every index counts as large: one job at a time.
        Ok(self.next_batch(0).await?.into_iter().next())
    }

    /// A stale job from a dead worker when one is due; else the jobs waiting now (see
    /// `BATCH`); else the first new one, waiting up to the block time. Empty when nothing
    /// came; call again.
    async fn next_batch(&mut self, large_from: u64) -> Result<Vec<Job>, BackendError> {
        // Our own deadline besides each command's: across a Redis Cluster failover a command was
        // seen waiting for good on a reconnection that never answered it. Fresh connections find
        // the new master.
        let deadline = self.settings.block + STALL_GRACE;
        match tokio::time::timeout(deadline, self.next_unguarded(large_from)).await {
            Ok(next) => next,
            Err(_) => {
                self.reader = None;
                self.commands = self.config.shared_connection()?;
                // The worker logs this, and asks again on the new connections.
                Err(BackendError::unavailable(
                    Service::Redis,
                    format!("no answer within {deadline:?}; its connections are opened again"),
                ))
            }
        }
    }

    /// Tells the group this worker is still on the job, so it is not reclaimed mid-computation.
    /// `JUSTID` resets the idle time without counting a delivery.
    async fn keep_alive(&self, job: &Job) -> Result<(), BackendError> {
        let _: redis::Value = redis::cmd("XCLAIM")
            .arg(keys::JOBS)
            .arg(keys::GROUP)
            .arg(&self.settings.consumer)
            .arg(0)
            .arg(&job.id)
            .arg("JUSTID")
            .query_async(&mut self.commands.clone())
            .await
            .map_err(classify)?;
        Ok(())
    }

    /// Stores the value, acknowledges the job and announces the change, atomically.
    /// Returns false when the value was already stored by an earlier delivery.
    async fn complete(
        &self,
        job: &Job,
        index: FibIndex,
        decimal: &str,
    ) -> Result<bool, BackendError> {
        let done = [Computed {
            job: job.clone(),
            index,
            decimal: decimal.to_owned(),
        }];
        Ok(self.complete_many(&done).await?.first() == Some(&true))
    }

    /// [`JobSource::complete`] for a batch, in one script: all stored or none.
    async fn complete_many(&self, done: &[Computed]) -> Result<Vec<bool>, BackendError> {
        let mut invocation = STORE.prepare_invoke();
        invocation
            .key(keys::STORED_ORDER)
            .key(keys::CACHE_BYTES)
            .key(keys::JOBS)
            .key(keys::STORED_AGAIN)
            .arg(keys::GROUP)
            .arg(self.settings.queue.cache_budget)
            .arg(keys::VALUE_PREFIX)
            .arg(keys::EVENTS);
        for computed in done {
            let digits = digit_count(&computed.decimal);
            invocation
                .key(keys::value(computed.index))
                .key(keys::queued(computed.index))
                .arg(computed.index.get())
                .arg(&computed.decimal)
                .arg(digits)
                .arg(preview(&computed.decimal))
                .arg(&computed.job.id)
                .arg(event_json(computed.index, ValueStatus::Done, Some(digits))?);
        }
        let mut connection = self.commands.clone();
        let store = invocation.invoke_async::<Vec<i64>>(&mut connection);
        let stored = tokio::time::timeout(STALL_GRACE, store)
            .await
            .map_err(|_| stalled(STALL_GRACE))?
            .map_err(classify)?;
        Ok(stored.into_iter().map(|fresh| fresh == 1).collect())
    }

    /// Gives up on a job: its index shows as failed for a while, and the job leaves the queue.
    async fn fail(&self, job: &Job, reason: &str) -> Result<(), BackendError> {
        let (failed_key, queued_key, event) = match job.index {
            Ok(index) => (
                keys::failed(index),
                keys::queued(index),
                event_json(index, ValueStatus::Failed, None)?,
            ),
            // An unreadable entry has no index to mark or announce; it is just dropped (the
            // failure hash it gets is one fixed key, remembered for a while like any other).
            Err(_) => (
                keys::FAILED_UNREADABLE.to_owned(),
                keys::QUEUED_UNREADABLE.to_owned(),
                String::new(),
            ),
        };
        let _: i64 = FAIL
            .key(failed_key)
            .key(queued_key)
            .key(keys::JOBS)
            .arg(reason)
            .arg(self.settings.queue.failure_memory.as_secs().max(1))
            .arg(&job.id)
            .arg(keys::GROUP)
            .arg(event)
            .arg(keys::EVENTS)
            .invoke_async(&mut self.commands.clone())
            .await
            .map_err(classify)?;
        Ok(())
    }

    fn worker_name(&self) -> &str {
        &self.settings.consumer
    }
}

fn event_json(
    index: FibIndex,
    status: ValueStatus,
    digits: Option<u64>,
) -> Result<String, BackendError> {
    serde_json::to_string(&ValueEvent {
        index: index.get(),
        status,
        digits,
    })
    .map_err(|error| BackendError::unexpected(Service::Redis, error))
}

fn millis(duration: Duration) -> usize {
    usize::try_from(duration.as_millis()).unwrap_or(usize::MAX)
}
