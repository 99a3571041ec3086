//! The api's side of Redis: queue jobs, read values and statuses.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use fibstack_core::store::{CachedState, Enqueued, Lookup, QueueStats, StoredValue, ValueStore};
use fibstack_core::trace::{Header, TraceParent};
use fibstack_core::{BackendError, FibIndex, Service};
use redis::{Script, Value};

use crate::connection::RedisConnection;
use crate::errors::classify;
use crate::{keys, stream_id};

/// The value cache and job queue as the api uses them. Cheap to clone.
#[derive(Clone)]
pub struct ValueCache {
    connection: RedisConnection,
    queue_limit: u64,
    enqueue: &'static Script,
}

impl std::fmt::Debug for ValueCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValueCache")
            .field("queue_limit", &self.queue_limit)
            .finish_non_exhaustive()
    }
}

static ENQUEUE: std::sync::LazyLock<Script> =
    std::sync::LazyLock::new(|| Script::new(include_str!("lua/enqueue.lua")));

impl ValueCache {
    /// `queue_limit` bounds the jobs waiting or running; past it, [`Enqueued::QueueFull`].
    pub fn new(connection: RedisConnection, queue_limit: u64) -> Self {
        ValueCache {
            connection,
            queue_limit,
            enqueue: &ENQUEUE,
        }
    }

    fn invocation(
        &self,
        index: FibIndex,
        trace: Option<TraceParent>,
    ) -> redis::ScriptInvocation<'static> {
        let header = trace.map(|trace| trace.header());
        let mut invocation = self.enqueue.prepare_invoke();
        invocation
            .key(keys::value(index))
            .key(keys::failed(index))
            .key(keys::queued(index))
            .key(keys::JOBS)
            .arg(index.get())
            .arg(self.queue_limit)
            .arg(keys::GROUP)
            .arg(header.as_ref().map_or("", Header::as_str));
        invocation
    }
}

#[async_trait]
impl ValueStore for ValueCache {
    /// Queues a job for `index` unless it is stored, failed or already queued.
    async fn enqueue(
        &self,
        index: FibIndex,
        trace: Option<TraceParent>,
    ) -> Result<Enqueued, BackendError> {
        let outcome: String = self
            .invocation(index, trace)
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(classify)?;
        parse_enqueued(&outcome)
    }

    /// [`ValueStore::enqueue`] for several indexes in one round trip.
    async fn enqueue_many(&self, indexes: &[FibIndex]) -> Result<Vec<Enqueued>, BackendError> {
        if indexes.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        // Loading first makes the EVALSHAs below safe on a Redis that has never seen the script.
        pipe.load_script(self.enqueue).ignore();
        for &index in indexes {
            pipe.invoke_script(&self.invocation(index, None));
        }
        let outcomes: Vec<String> = pipe
            .query_async(&mut self.connection.clone())
            .await
            .map_err(classify)?;
        outcomes
            .iter()
            .map(|outcome| parse_enqueued(outcome))
            .collect()
    }

    /// The state of each index, in one round trip.
    async fn states(&self, indexes: &[FibIndex]) -> Result<Vec<CachedState>, BackendError> {
        if indexes.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for &index in indexes {
            pipe.hmget(keys::value(index), &["digits", "preview", "at"])
                .exists(keys::failed(index));
        }
        let replies: Vec<Value> = pipe
            .query_async(&mut self.connection.clone())
            .await
            .map_err(classify)?;
        replies
            .chunks(2)
            .map(|pair| match pair {
                [fields, failed] => Ok(parse_state(fields, failed)),
                _ => Err(BackendError::unexpected(
                    Service::Redis,
                    "short pipeline reply",
                )),
            })
            .collect()
    }

    /// The whole value of one index, or whether it failed, in one round trip.
    async fn lookup(&self, index: FibIndex) -> Result<Lookup, BackendError> {
        let (value, failed): (Option<String>, bool) = redis::pipe()
            .hget(keys::value(index), "value")
            .exists(keys::failed(index))
            .query_async(&mut self.connection.clone())
            .await
            .map_err(classify)?;
        Ok(Lookup::from_parts(value, failed))
    }

    /// The whole decimal value of each index that is stored.
    async fn values(&self, indexes: &[FibIndex]) -> Result<Vec<Option<String>>, BackendError> {
        if indexes.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for &index in indexes {
            pipe.hget(keys::value(index), "value");
        }
        pipe.query_async(&mut self.connection.clone())
            .await
            .map_err(classify)
    }

    /// Jobs waiting or running, and the cache's size, in one round trip.
    async fn queue_stats(&self) -> Result<QueueStats, BackendError> {
        type Figures = (
            u64,
            Option<u64>,
            Option<u64>,
            Option<u64>,
            Vec<(String, Value)>,
        );
        let (jobs, redeliveries, stored_again, cache_bytes, oldest): Figures = redis::pipe()
            .cmd("XLEN")
            .arg(keys::JOBS)
            .get(keys::REDELIVERIES)
            .get(keys::STORED_AGAIN)
            .get(keys::CACHE_BYTES)
            .cmd("XRANGE")
            .arg(keys::JOBS)
            .arg("-")
            .arg("+")
            .arg("COUNT")
            .arg(1)
            .query_async(&mut self.connection.clone())
            .await
            .map_err(classify)?;
        Ok(QueueStats {
            jobs,
            redeliveries: redeliveries.unwrap_or(0),
            stored_again: stored_again.unwrap_or(0),
            oldest_job_age: oldest
                .first()
                .and_then(|(id, _)| stream_id::age(id, SystemTime::now())),
            cache_bytes: cache_bytes.unwrap_or(0),
        })
    }

    /// A round trip, for readiness.
    async fn ping(&self) -> Result<(), BackendError> {
        match redis::cmd("PING")
            .query_async::<String>(&mut self.connection.clone())
            .await
        {
            Ok(_) => Ok(()),
            Err(error) => Err(self.connection.explain(error).await),
        }
    }

    fn kind(&self) -> &'static str {
        "redis"
    }
}

fn parse_enqueued(outcome: &str) -> Result<Enqueued, BackendError> {
    match outcome {
        "added" => Ok(Enqueued::Added),
        "queued" => Ok(Enqueued::AlreadyQueued),
        "done" => Ok(Enqueued::AlreadyDone),
        "failed" => Ok(Enqueued::Failed),
        "full" => Ok(Enqueued::QueueFull),
        other => Err(BackendError::unexpected(
            Service::Redis,
            format!("enqueue script answered {other:?}"),
        )),
    }
}

fn parse_state(fields: &Value, failed: &Value) -> CachedState {
    let fields: Vec<Option<String>> = redis::from_redis_value_ref(fields).unwrap_or_default();
    match fields.as_slice() {
        [Some(digits), Some(preview), at] => match digits.parse() {
            Ok(digits) => CachedState::Done(StoredValue {
                digits,
                preview: preview.clone(),
                computed_at: at
                    .as_deref()
                    .and_then(|ms| ms.parse().ok())
                    .map(|ms| UNIX_EPOCH + Duration::from_millis(ms)),
            }),
            Err(_) => CachedState::Unknown,
        },
        _ if redis::from_redis_value_ref::<bool>(failed).unwrap_or(false) => CachedState::Failed,
        _ => CachedState::Unknown,
    }
}
