//! What every queue backend must decide alike, as checks a backend's own tests run on it (feature
//! `testing`): the Redis scripts and the embedded store are two implementations of one contract,
//! and these keep them one.
//!
//! Each check starts from an empty store whose queue holds at most [`QUEUE_LIMIT`] jobs, and
//! panics, naming the step, where the backend answers otherwise.

use std::time::Duration;

use crate::FibIndex;
use crate::roster::{MAX_MEMBERS, Report, Roster, WorkerFigures};
use crate::store::{Enqueued, Job, JobSource, Lookup, ValueStore};
use crate::trace::TraceParent;

/// The queue limit the store under test must be opened with.
pub const QUEUE_LIMIT: u64 = 3;

fn index(n: u64) -> FibIndex {
    FibIndex::try_from(n).expect("a small index")
}

async fn enqueue(values: &dyn ValueStore, n: u64) -> Enqueued {
    values
        .enqueue(index(n), None)
        .await
        .unwrap_or_else(|error| panic!("enqueue {n}: {error}"))
}

async fn next_job(jobs: &mut dyn JobSource) -> Job {
    jobs.next()
        .await
        .unwrap_or_else(|error| panic!("read a job: {error}"))
        .expect("a job is waiting")
}

async fn jobs_in_queue(values: &dyn ValueStore) -> u64 {
    values.queue_stats().await.expect("queue stats").jobs
}

/// Queued, already queued, full, done, failed: the answers of `enqueue` as jobs go through the
/// queue, oldest first, and what `lookup` says of each index after.
pub async fn queue_decisions(values: &dyn ValueStore, jobs: &mut dyn JobSource) {
    assert_eq!(enqueue(values, 7).await, Enqueued::Added);
    assert_eq!(enqueue(values, 7).await, Enqueued::AlreadyQueued);
    assert_eq!(enqueue(values, 8).await, Enqueued::Added);
    assert_eq!(enqueue(values, 9).await, Enqueued::Added);
    assert_eq!(
        enqueue(values, 10).await,
        Enqueued::QueueFull,
        "the limit is {QUEUE_LIMIT} jobs"
    );
    assert_eq!(jobs_in_queue(values).await, QUEUE_LIMIT);
    assert_eq!(
        values.lookup(index(7)).await.expect("lookup 7"),
        Lookup::Missing,
        "queued, not computed yet"
    );

    let job = next_job(jobs).await;
    assert_eq!(job.index, Ok(index(7)), "oldest first");
    assert_eq!(job.deliveries, 1);
    assert_eq!(
        jobs.complete(&job, index(7), "13").await.ok(),
        Some(true),
        "stored now"
    );
    assert_eq!(enqueue(values, 7).await, Enqueued::AlreadyDone);
    assert_eq!(
        values.lookup(index(7)).await.expect("lookup 7"),
        Lookup::Value("13".to_owned())
    );
    assert_eq!(
        values.values(&[index(7), index(9)]).await.expect("values"),
        vec![Some("13".to_owned()), None]
    );

    let job = next_job(jobs).await;
    assert_eq!(job.index, Ok(index(8)));
    jobs.fail(&job, "broken on purpose").await.expect("failed");
    assert_eq!(enqueue(values, 8).await, Enqueued::Failed);
    assert_eq!(
        values.lookup(index(8)).await.expect("lookup 8"),
        Lookup::Failed
    );
    assert_eq!(jobs_in_queue(values).await, 1, "only 9 is left");
    assert_eq!(enqueue(values, 10).await, Enqueued::Added, "room again");
}

/// The figures operators watch: the oldest job's age while any is queued, none once the queue is
/// empty, and the bytes of the values stored.
pub async fn queue_figures(values: &dyn ValueStore, jobs: &mut dyn JobSource) {
    let stats = values.queue_stats().await.expect("queue stats");
    assert_eq!(
        (stats.oldest_job_age, stats.cache_bytes),
        (None, 0),
        "an empty store"
    );
    assert_eq!(enqueue(values, 30).await, Enqueued::Added);
    let age = values
        .queue_stats()
        .await
        .expect("queue stats")
        .oldest_job_age;
    assert!(
        age.is_some_and(|age| age < std::time::Duration::from_secs(60)),
        "a job queued just now: {age:?}"
    );
    let job = next_job(jobs).await;
    assert!(
        values
            .queue_stats()
            .await
            .expect("queue stats")
            .oldest_job_age
            .is_some(),
        "a running job is still in the queue"
    );
    assert_eq!(
        jobs.complete(&job, index(30), "832040").await.ok(),
        Some(true)
    );
    let stats = values.queue_stats().await.expect("queue stats");
    assert_eq!(stats.oldest_job_age, None, "the queue is empty again");
    assert_eq!(stats.cache_bytes, 6, "the digits of F(30) = 832040");
}

/// A job carries the trace of the request that queued it to its worker, and a job queued
/// without one carries none.
pub async fn a_job_carries_its_trace(values: &dyn ValueStore, jobs: &mut dyn JobSource) {
    let trace = TraceParent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    assert_eq!(
        values.enqueue(index(40), trace).await.ok(),
        Some(Enqueued::Added)
    );
    assert_eq!(enqueue(values, 41).await, Enqueued::Added);
    let traced = next_job(jobs).await;
    assert_eq!(traced.index, Ok(index(40)));
    assert_eq!(traced.trace, trace, "the submitting request's trace");
    let untraced = next_job(jobs).await;
    assert_eq!(untraced.index, Ok(index(41)));
    assert_eq!(untraced.trace, None);
}

/// A job delivered twice (its first worker was slow) is stored once: the late completion
/// answers `false` and changes nothing.
pub async fn a_value_is_stored_once(values: &dyn ValueStore, jobs: &mut dyn JobSource) {
    assert_eq!(enqueue(values, 20).await, Enqueued::Added);
    let job = next_job(jobs).await;
    assert_eq!(
        jobs.complete(&job, index(20), "6765").await.ok(),
        Some(true)
    );
    assert_eq!(
        jobs.complete(&job, index(20), "6765").await.ok(),
        Some(false),
        "a second completion of the same job stores nothing"
    );
    let stats = values.queue_stats().await.expect("queue stats");
    assert_eq!(stats.jobs, 0);
    assert_eq!(stats.stored_again, 1, "the second completion is counted");
    assert_eq!(
        values.lookup(index(20)).await.expect("lookup 20"),
        Lookup::Value("6765".to_owned())
    );
}

/// Members listed with their latest report, most recently heard first; a member that leaves is
/// gone at once; however many report, the list stays bounded. Starts from an empty roster.
pub async fn roster_members(roster: &dyn Roster) {
    let worker = |computed| {
        Report::Worker(WorkerFigures {
            computed,
            window_ms: 1000,
            ..WorkerFigures::default()
        })
    };
    let report = |name: String, report: Report| async move {
        roster
            .report(&name, &report)
            .await
            .unwrap_or_else(|error| panic!("report {name}: {error}"));
    };
    let members = || async { roster.members().await.expect("members listed") };
    assert_eq!(members().await, [], "an empty roster");

    report("api-1".to_owned(), Report::Api { event_streams: 2 }).await;
    report("worker-1".to_owned(), worker(1)).await;
    report("worker-1".to_owned(), worker(5)).await;
    let listed = members().await;
    let names: Vec<&str> = listed.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names.len(), 2, "one entry per member: {names:?}");
    let worker_1 = listed
        .iter()
        .find(|m| m.name == "worker-1")
        .expect("worker-1 is listed");
    assert_eq!(worker_1.report, worker(5), "its latest report");
    assert!(
        listed.iter().all(|m| m.silent_for < Duration::from_secs(5)),
        "both reported just now: {listed:?}"
    );

    roster.leave("api-1").await.expect("left");
    let names: Vec<String> = members().await.into_iter().map(|m| m.name).collect();
    assert_eq!(names, ["worker-1"], "a member that left is gone");

    for n in 0..MAX_MEMBERS + 5 {
        report(format!("many-{n:03}"), worker(0)).await;
    }
    let listed = members().await;
    assert_eq!(listed.len(), MAX_MEMBERS, "the roster is bounded");
    let last = format!("many-{:03}", MAX_MEMBERS + 4);
    assert!(
        listed.iter().any(|m| m.name == last),
        "the last to report is kept"
    );
}

/// Runs a future that never waits (an in-process store's), in tests without a runtime.
#[cfg(test)]
pub(crate) fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let waker = std::task::Waker::noop();
    let mut context = std::task::Context::from_waker(waker);
    let mut future = std::pin::pin!(future);
    match future.as_mut().poll(&mut context) {
        std::task::Poll::Ready(output) => output,
        std::task::Poll::Pending => panic!("an in-process store never waits"),
    }
}
