//! The embedded store on a real SQLite file in a temporary directory: the queue's decisions,
//! redelivery, the byte budget, failures, and what survives reopening the file.

use std::time::Duration;

use fibstack_core::IndexPolicy;
use fibstack_core::clock::ManualClock;
use fibstack_core::conformance;
use fibstack_core::http::{ValueEvent, ValueStatus};
use fibstack_core::store::{
    CachedState, Computed, Enqueued, EventSink, Intake, JobSource, Lookup, QueuePolicy, QueueStats,
    RelayedEvent, SubmissionLog, ValueStore,
};
use fibstack_core::trace::TraceParent;
use fibstack_embedded::{EmbeddedJobs, EmbeddedSettings, EmbeddedStore, OpenError};
use std::sync::{Arc, Mutex};

/// The queue of the tests: small, so its limit and budget are reached in a few steps.
fn queue() -> QueuePolicy {
    QueuePolicy {
        queue_limit: 3,
        reclaim_idle: Duration::from_secs(60),
        max_deliveries: 3,
        failure_memory: Duration::from_secs(60),
        cache_budget: 1_000,
    }
}

fn settings(dir: &tempfile::TempDir) -> EmbeddedSettings {
    EmbeddedSettings {
        path: dir.path().join("data/fibstack.sqlite3"),
        policy: IndexPolicy::new(1_000_000),
        queue: queue(),
        block: Duration::from_millis(50),
        clock: Arc::new(ManualClock::new()),
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
    fibstack_core::FibIndex::try_from(n).expect("a valid index")
}

#[tokio::test]
async fn the_queue_decides_as_every_backend_must_and_announces_each_outcome() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let (store, events) = open(EmbeddedSettings {
        queue: QueuePolicy {
            queue_limit: conformance::QUEUE_LIMIT,
            ..queue()
        },
        ..settings(&dir)
    })
    .await;
    let mut jobs = store.jobs("w".to_owned());
    conformance::queue_decisions(&store, &mut jobs).await;
    let event = |index, status, digits| {
        RelayedEvent::Changed(ValueEvent {
            index,
            status,
            digits,
        })
    };
    assert_eq!(
        events.take(),
        vec![
            event(7, ValueStatus::Done, Some(2)),
            event(8, ValueStatus::Failed, None)
        ],
        "each value announced once stored, each failure once given up"
    );
}

/// Runs a conformance check on a fresh store with the default settings.
async fn on_fresh_store(check: impl AsyncFnOnce(&EmbeddedStore, &mut EmbeddedJobs)) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let (store, _events) = open(settings(&dir)).await;
    let mut jobs = store.jobs("w".to_owned());
    check(&store, &mut jobs).await;
}

#[tokio::test]
async fn a_value_is_stored_once_as_every_backend_must() {
    on_fresh_store(async |store, jobs| conformance::a_value_is_stored_once(store, jobs).await)
        .await;
}

#[tokio::test]
async fn the_queue_reports_its_figures_as_every_backend_must() {
    on_fresh_store(async |store, jobs| conformance::queue_figures(store, jobs).await).await;
}

#[tokio::test]
async fn a_job_carries_its_trace_as_every_backend_must() {
    on_fresh_store(async |store, jobs| conformance::a_job_carries_its_trace(store, jobs).await)
        .await;
}

#[tokio::test]
async fn submissions_taken_in_together_each_hand_their_own_trace_to_their_job() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let (store, _events) = open(settings(&dir)).await;
    let traces = [TraceParent::root(0xa, 1), None, TraceParent::root(0xb, 2)];
    let submitted = [1, 2, 3].map(|n| {
        let store = store.clone();
        let trace = traces[n as usize - 1];
        tokio::spawn(async move { store.submit(index(n), trace).await.expect("taken in") })
    });
    for submission in submitted {
        assert_eq!(submission.await.ok(), Some(Enqueued::Added));
    }
    let mut jobs = store.jobs("w".to_owned());
    let mut carried = Vec::new();
    while carried.len() < 3 {
        let batch = jobs.next_batch(u64::MAX).await.expect("jobs");
        carried.extend(batch.into_iter().map(|job| (job.index, job.trace)));
    }
    assert_eq!(
        carried,
        [
            (Ok(index(1)), traces[0]),
            (Ok(index(2)), None),
            (Ok(index(3)), traces[2]),
        ]
    );
}

#[tokio::test]
async fn the_oldest_job_s_age_follows_the_store_s_clock() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let clock = Arc::new(ManualClock::new());
    let (store, _events) = open(EmbeddedSettings {
        clock: clock.clone(),
        ..settings(&dir)
    })
    .await;
    store.enqueue(index(40), None).await.expect("queued");
    clock.advance(Duration::from_secs(5));
    store.enqueue(index(41), None).await.expect("queued");
    clock.advance(Duration::from_secs(2));
    let stats = store.queue_stats().await.expect("queue stats");
    assert_eq!(
        stats.oldest_job_age,
        Some(Duration::from_secs(7)),
        "the first job's age, not the last's"
    );
}

#[tokio::test]
async fn a_job_whose_claim_runs_out_is_delivered_again_and_stored_once() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let clock = Arc::new(ManualClock::new());
    let (store, _events) = open(EmbeddedSettings {
        queue: QueuePolicy {
            reclaim_idle: Duration::from_millis(100),
            ..queue()
        },
        clock: clock.clone(),
        ..settings(&dir)
    })
    .await;
    store.enqueue(index(20), None).await.expect("queued");
    let mut first = store.jobs("first".to_owned());
    let mut second = store.jobs("second".to_owned());
    let taken = first.next().await.expect("a read").expect("a job");
    assert_eq!(
        second.next().await.expect("a read"),
        None,
        "a claimed job is not handed out twice"
    );
    clock.advance(Duration::from_millis(99));
    assert_eq!(
        second.next().await.expect("a read"),
        None,
        "not before the claim runs out"
    );
    clock.advance(Duration::from_millis(2));
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
            redeliveries: 1,
            stored_again: 1,
            oldest_job_age: None,
            cache_bytes: 4,
        })
    );
}

#[tokio::test]
async fn the_oldest_values_are_evicted_to_keep_the_byte_budget() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let clock = Arc::new(ManualClock::new());
    let (store, _events) = open(EmbeddedSettings {
        queue: QueuePolicy {
            cache_budget: 16,
            queue_limit: 10,
            ..queue()
        },
        clock: clock.clone(),
        ..settings(&dir)
    })
    .await;
    let mut jobs = store.jobs("w".to_owned());
    // Stored in an order that is not the indexes' order, so only age can pick F(40) to go:
    // 9 + 4 bytes fit the budget of 16, the 6 bytes of F(30) then need one value evicted.
    for (n, value) in [(40, "102334155"), (20, "6765"), (30, "832040")] {
        store.enqueue(index(n), None).await.expect("queued");
        let job = jobs.next().await.expect("a read").expect("a job");
        jobs.complete(&job, index(n), value).await.expect("stored");
        // Stored a millisecond apart, so each has an age of its own.
        clock.advance(Duration::from_millis(1));
    }
    let states = store
        .states(&[index(40), index(20), index(30)])
        .await
        .expect("states");
    assert!(
        matches!(states[0], CachedState::Unknown),
        "the oldest evicted: {states:?}"
    );
    assert!(matches!(&states[1], CachedState::Done(value) if value.digits == 4));
    assert!(matches!(&states[2], CachedState::Done(value) if value.digits == 6));
    assert_eq!(
        store.values(&[index(30), index(40)]).await.ok(),
        Some(vec![Some("832040".to_owned()), None])
    );
    // Evicted values can be queued again.
    assert_eq!(
        store.enqueue(index(40), None).await.ok(),
        Some(Enqueued::Added)
    );
}

#[tokio::test]
async fn everything_survives_reopening_and_running_jobs_are_handed_out_at_once() {
    let dir = tempfile::tempdir().expect("a temp dir");
    {
        let (store, _events) = open(settings(&dir)).await;
        for n in [3, 5, 3] {
            store.record(index(n)).await.expect("recorded");
        }
        store.enqueue(index(5), None).await.expect("queued");
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

#[tokio::test]
async fn concurrent_writes_sharing_a_commit_each_see_the_ones_before() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let (store, _events) = open(EmbeddedSettings {
        queue: QueuePolicy {
            queue_limit: 1_000,
            ..queue()
        },
        ..settings(&dir)
    })
    .await;
    // Every index twice at once: whichever comes second in a batch must find the first queued.
    let submissions = (0..400u64).map(|n| {
        let store = store.clone();
        tokio::spawn(async move {
            let outcome = store.enqueue(index(n / 2), None).await.expect("queued");
            store.record(index(n / 2)).await.expect("recorded");
            (n / 2, outcome)
        })
    });
    let mut outcomes = std::collections::BTreeMap::<u64, Vec<Enqueued>>::new();
    for submission in submissions {
        let (n, outcome) = submission.await.expect("a task");
        outcomes.entry(n).or_default().push(outcome);
    }
    for (n, mut seen) in outcomes {
        seen.sort_by_key(|outcome| format!("{outcome:?}"));
        assert_eq!(
            seen,
            [Enqueued::Added, Enqueued::AlreadyQueued],
            "index {n}"
        );
    }
    assert_eq!(store.latest(1_000).await.map(|l| l.len()).ok(), Some(400));
    assert_eq!(
        store.recent_indexes(1_000).await.map(|l| l.len()).ok(),
        Some(200)
    );
    assert_eq!(store.queue_stats().await.map(|s| s.jobs).ok(), Some(200));
}

#[tokio::test]
async fn submissions_arriving_together_are_decided_in_order_and_a_refused_one_is_not_recorded() {
    let dir = tempfile::tempdir().expect("a temp dir");
    // Room for three jobs; 4 and 5 come too late.
    let (store, _events) = open(settings(&dir)).await;
    let submitted = [1, 2, 1, 3, 4, 2, 5].map(|n| {
        let store = store.clone();
        tokio::spawn(async move { store.submit(index(n), None).await.expect("taken in") })
    });
    let mut outcomes = Vec::new();
    for submission in submitted {
        outcomes.push(submission.await.expect("a task"));
    }
    assert_eq!(
        outcomes,
        [
            Enqueued::Added,
            Enqueued::Added,
            Enqueued::AlreadyQueued,
            Enqueued::Added,
            Enqueued::QueueFull,
            Enqueued::AlreadyQueued,
            Enqueued::QueueFull,
        ]
    );
    assert_eq!(
        store.latest(10).await.ok(),
        Some([1, 2, 1, 3, 2].map(index).to_vec())
    );
    assert_eq!(
        store.recent_indexes(10).await.ok(),
        Some([2, 3, 1].map(index).to_vec())
    );
    assert_eq!(store.queue_stats().await.map(|s| s.jobs).ok(), Some(3));
}

#[tokio::test]
async fn a_file_written_by_the_first_schema_keeps_its_history_values_and_jobs() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let settings = settings(&dir);
    std::fs::create_dir_all(settings.path.parent().expect("a directory")).expect("a directory");
    {
        // The file as the first two migrations left it, with a value, a waiting job and history.
        let mut first = sqlx::migrate!("./migrations");
        first.migrations = first
            .migrations
            .iter()
            .filter(|migration| migration.version <= 2)
            .cloned()
            .collect::<Vec<_>>()
            .into();
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&settings.path)
            .create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(options)
            .await
            .expect("opens");
        first.run(&pool).await.expect("the first schema");
        for statement in [
            "INSERT INTO submissions (number, submitted_at) VALUES (7, 1), (9, 2), (7, 3)",
            "INSERT INTO indexes (number, last_submission_id) VALUES (9, 2), (7, 3)",
            "INSERT INTO computed (number, value, digits, preview, computed_at)
             VALUES (7, '13', 2, '13', 4)",
            "INSERT INTO jobs (number) VALUES (9)",
        ] {
            sqlx::query(statement).execute(&pool).await.expect("a row");
        }
        pool.close().await;
    }
    let (store, _events) = open(settings).await;
    assert_eq!(
        store.latest(10).await.ok(),
        Some(vec![index(7), index(9), index(7)])
    );
    assert_eq!(
        store.recent_indexes(10).await.ok(),
        Some(vec![index(7), index(9)])
    );
    assert_eq!(
        store.lookup(index(7)).await.ok(),
        Some(Lookup::Value("13".to_owned()))
    );
    assert_eq!(store.queue_stats().await.map(|s| s.jobs).ok(), Some(1));
    assert_eq!(store.count().await.ok(), Some(3));
    // The kept counts go on from the copied rows: one more job, one more submission.
    assert_eq!(
        store.enqueue(index(11), None).await.ok(),
        Some(Enqueued::Added)
    );
    store.record(index(9)).await.expect("recorded");
    assert_eq!(store.queue_stats().await.map(|s| s.jobs).ok(), Some(2));
    assert_eq!(store.count().await.ok(), Some(4));
    assert_eq!(
        store.recent_indexes(10).await.ok(),
        Some(vec![index(9), index(7)])
    );
}

#[tokio::test]
async fn jobs_waiting_together_are_taken_and_stored_together_up_to_a_large_one() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let (store, events) = open(EmbeddedSettings {
        queue: QueuePolicy {
            queue_limit: 10,
            ..queue()
        },
        ..settings(&dir)
    })
    .await;
    for n in [7, 8, 50_000, 9] {
        assert_eq!(
            store.enqueue(index(n), None).await.ok(),
            Some(Enqueued::Added)
        );
    }
    let mut first = store.jobs("first".to_owned());
    let batch = first.next_batch(20_000).await.expect("a read");
    let taken: Vec<_> = batch.iter().map(|job| job.index.clone()).collect();
    assert_eq!(
        taken,
        [Ok(index(7)), Ok(index(8)), Ok(index(50_000))],
        "in order, ending with the first large one"
    );
    // The job behind the large one is left for another worker.
    let mut second = store.jobs("second".to_owned());
    let rest = second.next_batch(20_000).await.expect("a read");
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].index, Ok(index(9)));

    let done: Vec<Computed> = batch[..2]
        .iter()
        .zip(["13", "21"])
        .map(|(job, value)| Computed {
            job: job.clone(),
            index: job.index.clone().expect("valid"),
            decimal: value.to_owned(),
        })
        .collect();
    assert_eq!(
        first.complete_many(&done).await.ok(),
        Some(vec![true, true])
    );
    assert_eq!(events.take().len(), 2, "each value announced");
    assert_eq!(
        first.complete_many(&done).await.ok(),
        Some(vec![false, false]),
        "stored already: nothing announced again"
    );
    assert!(events.take().is_empty());
    assert_eq!(
        store.lookup(index(8)).await.ok(),
        Some(Lookup::Value("21".to_owned()))
    );
    assert_eq!(store.queue_stats().await.map(|s| s.jobs).ok(), Some(2));
}
