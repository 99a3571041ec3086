//! Opening the storage each role works on, behind the traits of `fibstack_core::store`:
//! Postgres and Redis for the multi-service stack, the embedded store for the all-in-one
//! process (for whichever of the two is not configured).

use std::sync::Arc;

use anyhow::Context;
use fibstack_core::IndexPolicy;
use fibstack_core::clock::SystemClock;
use fibstack_core::roster::{LocalRoster, Roster};
use fibstack_core::store::{
    EventFeed, Intake, JobSource, QueuePolicy, QueueThenRecord, SubmissionLog, ValueStore,
};
use fibstack_embedded::{EmbeddedSettings, EmbeddedStore};
use fibstack_postgres::{PgConfig, Submissions};
use fibstack_redis::{
    EventRelay, JobStream, JobStreamSettings, RedisConfig, RedisRoster, ValueCache,
};

use crate::api::{ApiStorage, EventHub};
use crate::config::Storage;

/// Longest single wait of a worker for a new job.
const BLOCK: std::time::Duration = std::time::Duration::from_secs(5);
/// The embedded store's file, in the data directory.
const DATA_FILE: &str = "fibstack.sqlite3";

/// The api's storage in the stack: Postgres and Redis, as the `api` role uses them.
/// Connections open lazily, so the api starts (and says it is not ready) while they are down.
pub fn external_api_storage(
    postgres: &PgConfig,
    redis: &RedisConfig,
    queue: &QueuePolicy,
) -> anyhow::Result<ApiStorage> {
    let events = EventHub::new();
    let submissions: Arc<dyn SubmissionLog> = Arc::new(Submissions::new(postgres.lazy_pool()?));
    let values: Arc<dyn ValueStore> = Arc::new(redis_values(redis, queue)?);
    Ok(ApiStorage {
        intake: Arc::new(QueueThenRecord {
            values: values.clone(),
            submissions: submissions.clone(),
        }),
        submissions,
        values,
        feed: Some(Box::new(EventRelay::new(redis.clone(), events.clone()))),
        events,
        roster: redis_roster(redis)?,
    })
}

/// The roster of a stack, beside its queue.
pub fn redis_roster(redis: &RedisConfig) -> anyhow::Result<Arc<dyn Roster>> {
    Ok(Arc::new(RedisRoster::new(redis.shared_connection()?)))
}

/// The queue as the `worker` role takes jobs from it.
pub fn redis_jobs(
    redis: &RedisConfig,
    queue: &QueuePolicy,
    policy: IndexPolicy,
    consumer: String,
) -> anyhow::Result<Box<dyn JobSource>> {
    let settings = JobStreamSettings {
        consumer,
        block: BLOCK,
        queue: queue.clone(),
    };
    Ok(Box::new(JobStream::new(redis.clone(), settings, policy)?))
}

fn redis_values(redis: &RedisConfig, queue: &QueuePolicy) -> anyhow::Result<ValueCache> {
    Ok(ValueCache::new(
        redis.shared_connection()?,
        queue.queue_limit,
    ))
}

/// The embedded store, which [`Storage::uses_embedded`] made sure was opened.
fn opened(embedded: &Option<EmbeddedStore>) -> anyhow::Result<EmbeddedStore> {
    embedded
        .clone()
        .context("the embedded store was needed but not opened")
}

/// The storage of the all-in-one process: the api's, and the workers'.
#[derive(Debug)]
pub struct AllInOneStorage {
    pub api: ApiStorage,
    pub workers: WorkerStorage,
}

/// Where the all-in-one process's workers take jobs from, and report to.
#[derive(Debug)]
pub struct WorkerStorage {
    embedded: Option<EmbeddedStore>,
    redis: Option<RedisConfig>,
    queue: QueuePolicy,
    policy: IndexPolicy,
    /// The api's: in process with the embedded queue, in Redis beside a Redis queue.
    pub roster: Arc<dyn Roster>,
}

impl AllInOneStorage {
    /// Opens the embedded store when either part needs it (creating its file on first use).
    pub async fn open(
        storage: &Storage,
        queue: &QueuePolicy,
        policy: IndexPolicy,
    ) -> anyhow::Result<AllInOneStorage> {
        let events = EventHub::new();
        let embedded = if storage.uses_embedded() {
            let settings = EmbeddedSettings {
                path: storage.data_dir.join(DATA_FILE),
                policy,
                queue: queue.clone(),
                block: BLOCK,
                clock: Arc::new(SystemClock),
            };
            let path = settings.path.clone();
            let store = EmbeddedStore::open(settings, events.clone())
                .await
                .with_context(|| format!("cannot open the embedded store {}", path.display()))?;
            Some(store)
        } else {
            None
        };
        let submissions: Arc<dyn SubmissionLog> = match &storage.submissions {
            Some(postgres) => Arc::new(Submissions::new(postgres.lazy_pool()?)),
            None => Arc::new(opened(&embedded)?),
        };
        let (values, feed): (Arc<dyn ValueStore>, _) = match &storage.values {
            Some(redis) => (
                Arc::new(redis_values(redis, queue)?),
                Some(Box::new(EventRelay::new(redis.clone(), events.clone())) as Box<dyn EventFeed>),
            ),
            None => (Arc::new(opened(&embedded)?), None),
        };
        let roster: Arc<dyn Roster> = match &storage.values {
            Some(redis) => redis_roster(redis)?,
            None => Arc::new(LocalRoster::new(Arc::new(SystemClock))),
        };
        let intake: Arc<dyn Intake> = match (&storage.submissions, &storage.values) {
            (None, None) => Arc::new(opened(&embedded)?),
            _ => Arc::new(QueueThenRecord {
                values: values.clone(),
                submissions: submissions.clone(),
            }),
        };
        Ok(AllInOneStorage {
            api: ApiStorage {
                intake,
                submissions,
                values,
                events,
                feed,
                roster: roster.clone(),
            },
            workers: WorkerStorage {
                embedded,
                redis: storage.values.clone(),
                queue: queue.clone(),
                policy,
                roster,
            },
        })
    }
}

impl WorkerStorage {
    /// Where the data is, in one line for the log.
    pub fn describe(&self, storage: &Storage) -> String {
        let file = self
            .embedded
            .as_ref()
            .map(|store| store.path().display().to_string())
            .unwrap_or_default();
        let submissions = match &storage.submissions {
            Some(postgres) => format!("Postgres at {}:{}", postgres.host, postgres.port),
            None => format!("SQLite file {file}"),
        };
        let values = match &storage.values {
            Some(redis) => redis.describe(),
            None => "in process (same SQLite file)".to_owned(),
        };
        format!("submissions: {submissions}; queue, values and events: {values}")
    }

    /// A job source for one worker loop, named `name`.
    pub fn jobs(&self, name: String) -> anyhow::Result<Box<dyn JobSource>> {
        match &self.redis {
            Some(redis) => redis_jobs(redis, &self.queue, self.policy, name),
            None => Ok(Box::new(opened(&self.embedded)?.jobs(name))),
        }
    }

    /// Lets the embedded store finish its writes into the file.
    pub async fn close(&self) {
        if let Some(store) = &self.embedded {
            store.close().await;
        }
    }
}
