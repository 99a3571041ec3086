//! The embedded store on a real SQLite file in a temporary directory: the queue's decisions,
//! redelivery, the byte budget, failures, and what survives reopening the file.

use std::time::Duration;

use fibstack_core::IndexPolicy;
use fibstack_core::store::{
    CachedState, Enqueued, EventSink, JobSource, Lookup, QueueStats, RelayedEvent, SubmissionLog,
    ValueStore,
};
use fibstack_embedded::{EmbeddedSettings, EmbeddedStore, OpenError};
use std::sync::{Arc, Mutex};

fn settings(dir: &tempfile::TempDir) -> EmbeddedSettings {
    EmbeddedSettings {
        path: dir.path().join("data/fibstack.sqlite3"),
        policy: IndexPolicy::new(1_000_000),
        queue_limit: 3,
        reclaim_idle: Duration::from_secs(60),
        max_deliveries: 3,
        failure_memory: Duration::from_secs(60),
        cache_budget: 1_000,
        block: Duration::from_millis(50),
    }
}

/// Keeps every event the store publishes.
#[derive(Debug, Default)]
struct Heard(Mutex<Vec<RelayedEvent>>);

impl EventSink for Heard {
    fn publish(&self, event: RelayedEvent) {
        self.0.lock().expect("not poisoned").push(event);
    }
}

impl Heard {
    fn take(&self) -> Vec<RelayedEvent> {
        std::mem::take(&mut *self.0.lock().expect("not poisoned"))
    }
}

async fn open(settings: EmbeddedSettings) -> (EmbeddedStore, Arc<Heard>) {
    let heard = Arc::new(Heard::default());
    let store = EmbeddedStore::open(settings, heard.clone())
        .await
        .expect("the store opens");
    (store, heard)
}

fn index(n: u64) -> fibstack_core::FibIndex {
    IndexPolicy::new(1_000_000)
        .parse_str(&n.to_string())
        .expect("a valid index")
}

#[tokio::test]
async fn the_queue_decides_like_the_redis_script() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let (store, events) = open(settings(&dir)).await;
    assert_eq!(store.enqueue(index(7)).await.ok(), Some(Enqueued::Added));
    assert_eq!(
        store.enqueue(index(7)).await.ok(),
        Some(Enqueued::AlreadyQueued)
    );
    assert_eq!(store.enqueue(index(8)).await.ok(), Some(Enqueued::Added));
    assert_eq!(store.enqueue(index(9)).await.ok(), Some(Enqueued::Added));
    assert_eq!(
        store.enqueue(index(10)).await.ok(),
        Some(Enqueued::QueueFull),
        "the limit is 3 jobs"
    );
    assert_eq!(store.queue_stats().await.map(|s| s.jobs).ok(), Some(3));

    let mut jobs = store.jobs("w".to_owned());
    let job = jobs.next().await.expect("a read").expect("a job");
    assert_eq!(job.index, Ok(index(7)), "oldest first");
    assert_eq!(job.deliveries, 1);
    assert_eq!(jobs.complete(&job, index(7), "13").await.ok(), Some(true));
    assert_eq!(
        events.take(),
        vec![RelayedEvent::Changed(fibstack_core::http::ValueEvent {
            index: 7,
            status: fibstack_core::http::ValueStatus::Done,
            digits: Some(2),
        })],
        "announced once stored"
    );
    assert_eq!(
        store.enqueue(index(7)).await.ok(),
        Some(Enqueued::AlreadyDone)
    );
    assert_eq!(
        store.lookup(index(7)).await.ok(),
        Some(Lookup::Value("13".to_owned()))
    );

    let job = jobs.next().await.expect("a read").expect("a job");
    jobs.fail(&job, "broken on purpose").await.expect("failed");
    assert_eq!(store.enqueue(index(8)).await.ok(), Some(Enqueued::Failed));
    assert_eq!(store.lookup(index(8)).await.ok(), Some(Lookup::Failed));
    assert_eq!(store.queue_stats().await.map(|s| s.jobs).ok(), Some(1));
}

#[tokio::test]
async fn a_job_whose_claim_runs_out_is_delivered_again_and_stored_once() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let (store, _events) = open(EmbeddedSettings {
        reclaim_idle: Duration::from_millis(100),
        ..settings(&dir)
    })
    .await;
    store.enqueue(index(20)).await.expect("queued");
    let mut first = store.jobs("first".to_owned());
    let mut second = store.jobs("second".to_owned());
    let taken = first.next().await.expect("a read").expect("a job");
    assert_eq!(
        second.next().await.expect("a read"),
        None,
        "a claimed job is not handed out twice"
    );
    tokio::time::sleep(Duration::from_millis(150)).await;
    let again = second.next().await.expect("a read").expect("the stale job");
    assert_eq!(again.id, taken.id);
    assert_eq!(again.deliveries, 2);
    assert_eq!(
        second.complete(&again, index(20), "6765").await.ok(),
        Some(true)
    );
    assert_eq!(
        first.complete(&taken, index(20), "6765").await.ok(),
        Some(false),
        "the late first delivery stores nothing"
    );
    assert_eq!(
        store.queue_stats().await.ok(),
        Some(QueueStats {
            jobs: 0,
            redeliveries: 1
        })
    );
}

#[tokio::test]
async fn the_oldest_values_are_evicted_to_keep_the_byte_budget() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let (store, _events) = open(EmbeddedSettings {
        cache_budget: 10,
        queue_limit: 10,
        ..settings(&dir)
    })
    .await;
    let mut jobs = store.jobs("w".to_owned());
    for (n, value) in [(20, "6765"), (30, "832040"), (40, "102334155")] {
        store.enqueue(index(n)).await.expect("queued");
        let job = jobs.next().await.expect("a read").expect("a job");
        jobs.complete(&job, index(n), value).await.expect("stored");
        // Stored a millisecond apart, so their age decides the order.
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let states = store
        .states(&[index(20), index(30), index(40)])
        .await
        .expect("states");
    assert!(
        matches!(states[0], CachedState::Unknown),
        "evicted: {states:?}"
    );
    assert!(
        matches!(states[1], CachedState::Unknown),
        "evicted: {states:?}"
    );
    assert!(matches!(&states[2], CachedState::Done(value) if value.digits == 9));
    assert_eq!(
        store.values(&[index(40), index(20)]).await.ok(),
        Some(vec![Some("102334155".to_owned()), None])
    );
    // Evicted values can be queued again.
    assert_eq!(store.enqueue(index(20)).await.ok(), Some(Enqueued::Added));
}

#[tokio::test]
async fn everything_survives_reopening_and_running_jobs_are_handed_out_at_once() {
    let dir = tempfile::tempdir().expect("a temp dir");
    {
        let (store, _events) = open(settings(&dir)).await;
        for n in [3, 5, 3] {
            store.record(index(n)).await.expect("recorded");
        }
        store.enqueue(index(5)).await.expect("queued");
        let mut jobs = store.jobs("w".to_owned());
        let running = jobs.next().await.expect("a read").expect("a job");
        assert_eq!(running.index, Ok(index(5)));
        // The process stops mid-job.
        store.close().await;
    }
    let (store, _events) = open(settings(&dir)).await;
    assert_eq!(
        store.latest(10).await.ok(),
        Some(vec![index(3), index(5), index(3)])
    );
    assert_eq!(
        store.recent_indexes(10).await.ok(),
        Some(vec![index(3), index(5)])
    );
    assert_eq!(store.contains(index(5)).await.ok(), Some(true));
    assert_eq!(store.contains(index(6)).await.ok(), Some(false));
    let mut jobs = store.jobs("w".to_owned());
    let resumed = jobs.next().await.expect("a read").expect("the job in hand");
    assert_eq!(resumed.index, Ok(index(5)));
    assert_eq!(resumed.deliveries, 2);
    assert_eq!(
        store.queue_stats().await.map(|s| s.redeliveries).ok(),
        Some(1)
    );
}

#[tokio::test]
async fn a_second_store_on_the_same_file_is_refused() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let (_first, _events) = open(settings(&dir)).await;
    let second = EmbeddedStore::open(settings(&dir), Arc::new(Heard::default())).await;
    assert!(matches!(second, Err(OpenError::InUse(_))), "{second:?}");
}
