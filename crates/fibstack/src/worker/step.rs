//! One delivery of one job, from taking it to its outcome.

use std::time::{Duration, Instant, SystemTime};

use fibstack_core::fib::fibonacci_decimal;
use fibstack_core::store::{Computed, Job, JobSource, QueuePolicy};
use fibstack_core::trace::{TraceId, TraceParent};
use fibstack_core::{BackendError, FibIndex};
use tracing::{Instrument, Span};

use crate::telemetry::propagation::job_span;

/// How often a running job tells the queue it is still alive: well under the reclaim idle time,
/// so a live job is never taken over.
fn keep_alive_interval(reclaim_idle: Duration) -> Duration {
    (reclaim_idle / 3).max(Duration::from_millis(50))
}

/// The queue's rules as a worker keeps them.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// A job delivered more times than this is failed instead of tried again.
    max_deliveries: u64,
    /// How often a running job is kept alive.
    keep_alive_every: Duration,
}

impl From<&QueuePolicy> for Rules {
    fn from(queue: &QueuePolicy) -> Self {
        Rules {
            max_deliveries: queue.max_deliveries,
            keep_alive_every: keep_alive_interval(queue.reclaim_idle),
        }
    }
}

/// What became of one delivery.
#[derive(Debug)]
pub enum Outcome {
    Computed {
        index: FibIndex,
        digits: usize,
        /// Computing it.
        elapsed: Duration,
        /// From its submission to its value stored, where the queue knows when it was queued.
        since_queued: Option<Duration>,
    },
    /// Another delivery of the same job had already stored the value.
    AlreadyStored { index: FibIndex },
    /// Given up on: unreadable, or delivered too many times.
    Failed { job_id: String, reason: String },
    /// The value could not be stored; the job stays pending and will be delivered again.
    NotStored {
        index: FibIndex,
        error: BackendError,
    },
    /// The computation itself broke; the job stays pending and counts toward its deliveries.
    Crashed { index: FibIndex, reason: String },
}

/// What became of one delivery, with the trace of the request that queued its job.
#[derive(Debug)]
pub struct Delivered {
    pub outcome: Outcome,
    trace: Option<TraceId>,
    /// The job's span, where it has one ([`job_span`]); ends when this is dropped.
    span: Span,
}

impl Delivered {
    /// `trace` is the job's: the trace of the request that queued it.
    fn new(outcome: Outcome, trace: Option<TraceParent>, span: Span) -> Delivered {
        Delivered {
            outcome,
            trace: trace.map(|trace| trace.trace_id()),
            span,
        }
    }

    /// The outcome's log line, naming the trace, in the job's span.
    pub fn log(&self) {
        self.span.in_scope(|| self.outcome.log(self.trace));
    }
}

impl Outcome {
    /// The outcome's log line; `trace` names the trace of the request that queued the job.
    pub fn log(&self, trace: Option<TraceId>) {
        let trace_id = trace.map(tracing::field::display);
        match self {
            Outcome::Computed {
                index,
                digits,
                elapsed,
                since_queued,
            } => tracing::info!(%index, digits, ?elapsed, ?since_queued, trace_id, "computed"),
            Outcome::AlreadyStored { index } => {
                tracing::info!(%index, trace_id, "already stored by an earlier delivery")
            }
            Outcome::Failed { job_id, reason } => {
                tracing::warn!(%job_id, %reason, trace_id, "job failed")
            }
            Outcome::NotStored { index, error } => {
                tracing::warn!(%index, %error, trace_id, "computed but not stored; the job will be retried")
            }
            Outcome::Crashed { index, reason } => {
                tracing::error!(%index, %reason, trace_id, "computation crashed; the job will be retried")
            }
        }
    }
}

/// The jobs of one batch, in order. Small ones are computed in place and stored together; a
/// large one (the batch's last) is started only once those are stored, so their values are not
/// held up behind it.
pub async fn process_batch(jobs: &dyn JobSource, rules: Rules, batch: Vec<Job>) -> Vec<Delivered> {
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut computed = Vec::new();
    for job in batch {
        let index = match checked(rules, &job) {
            Ok(index) => index,
            Err(reason) => {
                let span = job_span(&job, false);
                let outcome = fail(jobs, &job, reason).instrument(span.clone()).await;
                outcomes.push(Delivered::new(outcome, job.trace, span));
                continue;
            }
        };
        let large = index.get() >= IN_PLACE_BELOW;
        let span = job_span(&job, large);
        if !large {
            let started = Instant::now();
            let decimal = span.in_scope(|| fibonacci_decimal(index));
            let done = Computed {
                job,
                index,
                decimal,
            };
            computed.push((done, started.elapsed(), span));
        } else {
            outcomes.extend(store(jobs, std::mem::take(&mut computed)).await);
            let trace = job.trace;
            let outcome = process_large(jobs, rules, job, index)
                .instrument(span.clone())
                .await;
            outcomes.push(Delivered::new(outcome, trace, span));
        }
    }
    outcomes.extend(store(jobs, computed).await);
    outcomes
}

/// The job's index, or why it is given up on: unreadable, or delivered too many times.
fn checked(rules: Rules, job: &Job) -> Result<FibIndex, String> {
    let index = job.index.clone()?;
    let max = rules.max_deliveries;
    if job.deliveries > max {
        return Err(format!(
            "gave up after {max} attempts: each ended without a result (the worker stopped or crashed)"
        ));
    }
    Ok(index)
}

/// Stores values computed together (each with the time it took and its job's span), in one
/// write.
async fn store(jobs: &dyn JobSource, batch: Vec<(Computed, Duration, Span)>) -> Vec<Delivered> {
    if batch.is_empty() {
        return Vec::new();
    }
    let (computed, done_in): (Vec<Computed>, Vec<(Duration, Span)>) = batch
        .into_iter()
        .map(|(done, elapsed, span)| (done, (elapsed, span)))
        .unzip();
    let stored = jobs.complete_many(&computed).await;
    computed
        .into_iter()
        .zip(done_in)
        .enumerate()
        .map(|(n, (done, (elapsed, span)))| {
            let outcome = match &stored {
                Ok(stored) if stored.get(n) == Some(&false) => {
                    Outcome::AlreadyStored { index: done.index }
                }
                Ok(_) => Outcome::Computed {
                    index: done.index,
                    digits: done.decimal.len(),
                    elapsed,
                    since_queued: since_queued(&done.job),
                },
                Err(error) => Outcome::NotStored {
                    index: done.index,
                    error: error.for_another_caller(),
                },
            };
            Delivered::new(outcome, done.job.trace, span)
        })
        .collect()
}

/// How long ago the job was queued, by this host's clock.
fn since_queued(job: &Job) -> Option<Duration> {
    let queued_at = job.queued_at?;
    Some(
        SystemTime::now()
            .duration_since(queued_at)
            .unwrap_or_default(),
    )
}

async fn process_large(jobs: &dyn JobSource, rules: Rules, job: Job, index: FibIndex) -> Outcome {
    let started = Instant::now();
    let decimal = match compute_keeping_alive(jobs, rules.keep_alive_every, &job, index).await {
        Ok(decimal) => decimal,
        Err(reason) => return Outcome::Crashed { index, reason },
    };
    let elapsed = started.elapsed();
    match jobs.complete(&job, index, &decimal).await {
        Ok(true) => Outcome::Computed {
            index,
            digits: decimal.len(),
            elapsed,
            since_queued: since_queued(&job),
        },
        Ok(false) => Outcome::AlreadyStored { index },
        Err(error) => Outcome::NotStored { index, error },
    }
}

/// Indexes below this are computed in place: F(20000) takes about 25 µs, less than handing the
/// work to another thread and back, and short enough not to hold up other tasks. Jobs this
/// small are also taken and stored in batches.
pub const IN_PLACE_BELOW: u64 = 20_000;

/// Computes on the blocking pool while refreshing the job's claim at a steady pace.
async fn compute_keeping_alive(
    jobs: &dyn JobSource,
    period: Duration,
    job: &Job,
    index: FibIndex,
) -> Result<String, String> {
    let mut computation = tokio::task::spawn_blocking(move || fibonacci_decimal(index));
    // The first refresh is due one period in. An interval's "immediate" first tick still waits
    // for the timer's next millisecond: that wait was most of a mid-sized job's time (1.1 ms of
    // a job that computes in 0.1 ms), and it capped a worker near 900 such jobs a second.
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        tokio::select! {
            result = &mut computation => {
                return result.map_err(|error| error.to_string());
            }
            _ = ticker.tick() => {
                if let Err(error) = jobs.keep_alive(job).await {
                    tracing::warn!(%error, "could not refresh the job's claim");
                }
            }
        }
    }
}

async fn fail(jobs: &dyn JobSource, job: &Job, reason: String) -> Outcome {
    match jobs.fail(job, &reason).await {
        Ok(()) => Outcome::Failed {
            job_id: job.id.clone(),
            reason,
        },
        Err(error) => Outcome::Failed {
            job_id: job.id.clone(),
            reason: format!("{reason} (and marking it failed did not work: {error})"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fibstack_core::memory::MemoryStore;
    use fibstack_core::store::{Enqueued, Lookup, ValueStore};

    fn index(n: u64) -> FibIndex {
        FibIndex::try_from(n).expect("a valid index")
    }

    fn rules(max_deliveries: u64) -> Rules {
        Rules::from(&QueuePolicy {
            queue_limit: 100,
            cache_budget: 1 << 20,
            reclaim_idle: Duration::from_secs(60),
            max_deliveries,
            failure_memory: Duration::from_secs(60),
        })
    }

    /// The outcomes of a batch, without their spans.
    async fn outcomes_of(jobs: &dyn JobSource, rules: Rules, batch: Vec<Job>) -> Vec<Outcome> {
        process_batch(jobs, rules, batch)
            .await
            .into_iter()
            .map(|delivered| delivered.outcome)
            .collect()
    }

    async fn queue(store: &MemoryStore, numbers: &[u64]) {
        for &n in numbers {
            assert_eq!(
                store.enqueue(index(n), None).await.ok(),
                Some(Enqueued::Added)
            );
        }
    }

    #[tokio::test]
    async fn small_jobs_and_a_large_last_one_are_computed_and_stored() {
        let store = MemoryStore::new(100);
        queue(&store, &[10, 20, 25_000]).await;
        let mut jobs = store.jobs("w");
        let mut batch = jobs.next_batch(IN_PLACE_BELOW).await.expect("a read");
        while let Some(job) = jobs.next().await.expect("a read") {
            batch.push(job);
        }
        let outcomes = outcomes_of(&jobs, rules(3), batch).await;
        let digits: Vec<usize> = outcomes
            .iter()
            .map(|outcome| match outcome {
                Outcome::Computed { digits, .. } => *digits,
                other => panic!("not computed: {other:?}"),
            })
            .collect();
        assert_eq!(digits, [2, 4, 5_225], "F(10), F(20), F(25000)");
        assert_eq!(
            store.lookup(index(20)).await.ok(),
            Some(Lookup::Value("6765".to_owned()))
        );
        assert_eq!(store.queue_stats().await.map(|s| s.jobs).ok(), Some(0));
    }

    #[tokio::test]
    async fn a_job_delivered_more_often_than_allowed_is_failed_not_computed() {
        let store = MemoryStore::new(100);
        queue(&store, &[7]).await;
        let mut jobs = store.jobs("w");
        for _ in 0..2 {
            jobs.next().await.expect("a read").expect("the job");
            store.redeliver(); // its worker went quiet
        }
        let third = jobs.next().await.expect("a read").expect("the job");
        assert_eq!(third.deliveries, 3);
        let outcomes = outcomes_of(&jobs, rules(2), vec![third]).await;
        assert!(
            matches!(&outcomes[..], [Outcome::Failed { reason, .. }] if reason.contains("after 2 attempts")),
            "{outcomes:?}"
        );
        assert_eq!(store.lookup(index(7)).await.ok(), Some(Lookup::Failed));
        assert_eq!(
            store.enqueue(index(7), None).await.ok(),
            Some(Enqueued::Failed)
        );

        // The last allowed delivery still computes.
        queue(&store, &[8]).await;
        jobs.next().await.expect("a read").expect("the job");
        store.redeliver();
        let second = jobs.next().await.expect("a read").expect("the job");
        let outcomes = outcomes_of(&jobs, rules(2), vec![second]).await;
        assert!(
            matches!(&outcomes[..], [Outcome::Computed { .. }]),
            "{outcomes:?}"
        );
    }

    #[tokio::test]
    async fn a_value_an_earlier_delivery_stored_is_not_stored_again() {
        let store = MemoryStore::new(100);
        queue(&store, &[12]).await;
        let mut jobs = store.jobs("w");
        let slow = jobs.next().await.expect("a read").expect("the job");
        store.redeliver();
        let again = jobs.next().await.expect("a read").expect("the job again");
        let first = outcomes_of(&jobs, rules(3), vec![again]).await;
        assert!(
            matches!(&first[..], [Outcome::Computed { .. }]),
            "{first:?}"
        );
        let late = outcomes_of(&jobs, rules(3), vec![slow]).await;
        assert!(
            matches!(&late[..], [Outcome::AlreadyStored { index }] if index.get() == 12),
            "{late:?}"
        );
        assert_eq!(
            store.queue_stats().await.map(|s| s.redeliveries).ok(),
            Some(1)
        );
    }

    #[tokio::test]
    async fn an_unreadable_job_is_failed_with_its_reason() {
        let store = MemoryStore::new(100);
        let jobs = store.jobs("w");
        let unreadable = Job {
            id: "1-0".to_owned(),
            index: Err("job banana is not a valid index".to_owned()),
            deliveries: 1,
            queued_at: None,
            trace: None,
        };
        let outcomes = outcomes_of(&jobs, rules(3), vec![unreadable]).await;
        assert!(
            matches!(&outcomes[..], [Outcome::Failed { reason, .. }] if reason.contains("banana")),
            "{outcomes:?}"
        );
    }
}
