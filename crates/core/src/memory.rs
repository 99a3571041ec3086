//! [`MemoryStore`]: the storage traits kept in memory (feature `testing`), so the roles' own logic
//! (the api's handlers, the worker's step) is tested in microseconds, without a service. It
//! passes the same [`conformance`](crate::conformance) checks as the real backends.
//!
//! Simplifications a real backend may not make: nothing is persisted, a failure is remembered
//! for the life of the store, a job taken is never handed out again by itself (call
//! [`MemoryStore::redeliver`]), and the cache keeps every value (no byte budget).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use async_trait::async_trait;

use crate::backend_error::BackendError;
use crate::http::{ValueEvent, ValueStatus};
use crate::index::FibIndex;
use crate::store::{
    CachedState, Enqueued, EventSink, Job, JobSource, Lookup, QueueStats, RelayedEvent,
    StoredValue, SubmissionLog, ValueStore,
};
use crate::summary::{digit_count, preview};
use crate::trace::TraceParent;

/// The queue, the values and the record of submissions of one test. Cheap to clone: clones
/// share everything.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
    queue_limit: u64,
    events: Option<Arc<dyn EventSink>>,
}

#[derive(Debug, Default)]
struct State {
    /// Jobs waiting or running, oldest first.
    jobs: VecDeque<QueuedJob>,
    next_job_id: u64,
    values: HashMap<FibIndex, String>,
    failed: HashMap<FibIndex, String>,
    submissions: Vec<FibIndex>,
    redeliveries: u64,
    stored_again: u64,
}

impl State {
    /// Takes the job out of the queue, however it ended.
    fn end_job(&mut self, job: &Job) {
        let id = job.id.parse::<u64>().ok();
        self.jobs.retain(|queued| Some(queued.id) != id);
    }
}

#[derive(Debug)]
struct QueuedJob {
    id: u64,
    index: FibIndex,
    deliveries: u64,
    taken: bool,
    queued_at: SystemTime,
    trace: Option<TraceParent>,
}

impl MemoryStore {
    /// An empty store whose queue holds at most `queue_limit` jobs.
    pub fn new(queue_limit: u64) -> Self {
        MemoryStore {
            state: Arc::default(),
            queue_limit,
            events: None,
        }
    }

    /// Announces stored values and failures to `events`, as the real stores do.
    pub fn announcing_to(self, events: Arc<dyn EventSink>) -> Self {
        MemoryStore {
            events: Some(events),
            ..self
        }
    }

    /// A job source for one worker.
    pub fn jobs(&self, name: &str) -> MemoryJobs {
        MemoryJobs {
            store: self.clone(),
            name: name.to_owned(),
        }
    }

    /// Hands every job in a worker's hands out again, as a backend does when its worker went
    /// quiet.
    pub fn redeliver(&self) {
        let mut state = self.lock();
        let mut handed_out_again = 0;
        for job in state.jobs.iter_mut().filter(|job| job.taken) {
            job.taken = false;
            handed_out_again += 1;
        }
        state.redeliveries += handed_out_again;
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere in a test poisons the lock; the data is still what it was.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn announce(&self, index: FibIndex, status: ValueStatus, digits: Option<u64>) {
        if let Some(events) = &self.events {
            events.publish(RelayedEvent::Changed(ValueEvent {
                index: index.get(),
                status,
                digits,
            }));
        }
    }

    fn enqueue_locked(
        &self,
        state: &mut State,
        index: FibIndex,
        trace: Option<TraceParent>,
    ) -> Enqueued {
        if state.values.contains_key(&index) {
            Enqueued::AlreadyDone
        } else if state.failed.contains_key(&index) {
            Enqueued::Failed
        } else if state.jobs.iter().any(|job| job.index == index) {
            Enqueued::AlreadyQueued
        } else if state.jobs.len() as u64 >= self.queue_limit {
            Enqueued::QueueFull
        } else {
            state.next_job_id += 1;
            let id = state.next_job_id;
            state.jobs.push_back(QueuedJob {
                id,
                index,
                deliveries: 0,
                taken: false,
                queued_at: SystemTime::now(),
                trace,
            });
            Enqueued::Added
        }
    }
}

#[async_trait]
impl ValueStore for MemoryStore {
    async fn enqueue(
        &self,
        index: FibIndex,
        trace: Option<TraceParent>,
    ) -> Result<Enqueued, BackendError> {
        let mut state = self.lock();
        Ok(self.enqueue_locked(&mut state, index, trace))
    }

    async fn enqueue_many(&self, indexes: &[FibIndex]) -> Result<Vec<Enqueued>, BackendError> {
        let mut state = self.lock();
        Ok(indexes
            .iter()
            .map(|&index| self.enqueue_locked(&mut state, index, None))
            .collect())
    }

    async fn states(&self, indexes: &[FibIndex]) -> Result<Vec<CachedState>, BackendError> {
        let state = self.lock();
        Ok(indexes
            .iter()
            .map(
                |index| match (state.values.get(index), state.failed.contains_key(index)) {
                    (Some(value), _) => CachedState::Done(StoredValue {
                        digits: digit_count(value),
                        preview: preview(value),
                        computed_at: None,
                    }),
                    (None, true) => CachedState::Failed,
                    (None, false) => CachedState::Unknown,
                },
            )
            .collect())
    }

    async fn lookup(&self, index: FibIndex) -> Result<Lookup, BackendError> {
        let state = self.lock();
        Ok(Lookup::from_parts(
            state.values.get(&index).cloned(),
            state.failed.contains_key(&index),
        ))
    }

    async fn values(&self, indexes: &[FibIndex]) -> Result<Vec<Option<String>>, BackendError> {
        let state = self.lock();
        Ok(indexes
            .iter()
            .map(|index| state.values.get(index).cloned())
            .collect())
    }

    async fn queue_stats(&self) -> Result<QueueStats, BackendError> {
        let state = self.lock();
        Ok(QueueStats {
            jobs: state.jobs.len() as u64,
            redeliveries: state.redeliveries,
            stored_again: state.stored_again,
            oldest_job_age: state
                .jobs
                .front()
                .map(|job| job.queued_at.elapsed().unwrap_or_default()),
            cache_bytes: state.values.values().map(|value| value.len() as u64).sum(),
        })
    }

    async fn ping(&self) -> Result<(), BackendError> {
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "memory"
    }
}

#[async_trait]
impl SubmissionLog for MemoryStore {
    async fn migrate(&self) -> Result<(), BackendError> {
        Ok(())
    }

    async fn record(&self, index: FibIndex) -> Result<(), BackendError> {
        self.lock().submissions.push(index);
        Ok(())
    }

    async fn latest(&self, limit: u32) -> Result<Vec<FibIndex>, BackendError> {
        let state = self.lock();
        let skip = state.submissions.len().saturating_sub(limit as usize);
        Ok(state.submissions[skip..].to_vec())
    }

    async fn count(&self) -> Result<u64, BackendError> {
        Ok(self.lock().submissions.len() as u64)
    }

    async fn recent_indexes(&self, limit: u32) -> Result<Vec<FibIndex>, BackendError> {
        let state = self.lock();
        let mut seen = Vec::new();
        for &index in state.submissions.iter().rev() {
            if seen.len() == limit as usize {
                break;
            }
            if !seen.contains(&index) {
                seen.push(index);
            }
        }
        Ok(seen)
    }

    async fn contains(&self, index: FibIndex) -> Result<bool, BackendError> {
        Ok(self.lock().submissions.contains(&index))
    }

    async fn ping(&self) -> Result<(), BackendError> {
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "memory"
    }
}

/// One worker's view of a [`MemoryStore`]'s queue.
#[derive(Debug)]
pub struct MemoryJobs {
    store: MemoryStore,
    name: String,
}

#[async_trait]
impl JobSource for MemoryJobs {
    /// The oldest job no worker holds, or `None` at once (nothing to wait for in memory).
    async fn next(&mut self) -> Result<Option<Job>, BackendError> {
        let mut state = self.store.lock();
        let Some(job) = state.jobs.iter_mut().find(|job| !job.taken) else {
            return Ok(None);
        };
        job.taken = true;
        job.deliveries += 1;
        Ok(Some(Job {
            id: job.id.to_string(),
            index: Ok(job.index),
            deliveries: job.deliveries,
            queued_at: Some(job.queued_at),
            trace: job.trace,
        }))
    }

    async fn keep_alive(&self, _job: &Job) -> Result<(), BackendError> {
        Ok(())
    }

    async fn complete(
        &self,
        job: &Job,
        index: FibIndex,
        decimal: &str,
    ) -> Result<bool, BackendError> {
        let fresh = {
            let mut state = self.store.lock();
            state.end_job(job);
            let fresh = !state.values.contains_key(&index);
            if fresh {
                state.values.insert(index, decimal.to_owned());
            } else {
                state.stored_again += 1;
            }
            fresh
        };
        if fresh {
            let digits = digit_count(decimal);
            self.store.announce(index, ValueStatus::Done, Some(digits));
        }
        Ok(fresh)
    }

    async fn fail(&self, job: &Job, reason: &str) -> Result<(), BackendError> {
        let failed = {
            let mut state = self.store.lock();
            state.end_job(job);
            let failed = job.index.clone().ok();
            if let Some(index) = failed {
                state.failed.insert(index, reason.to_owned());
            }
            failed
        };
        if let Some(index) = failed {
            self.store.announce(index, ValueStatus::Failed, None);
        }
        Ok(())
    }

    fn worker_name(&self) -> &str {
        &self.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::{self, QUEUE_LIMIT, block_on};

    #[test]
    fn the_memory_store_decides_as_every_backend_must() {
        let store = MemoryStore::new(QUEUE_LIMIT);
        let mut jobs = store.jobs("w");
        block_on(conformance::queue_decisions(&store, &mut jobs));
        let store = MemoryStore::new(QUEUE_LIMIT);
        let mut jobs = store.jobs("w");
        block_on(conformance::a_value_is_stored_once(&store, &mut jobs));
        let store = MemoryStore::new(QUEUE_LIMIT);
        let mut jobs = store.jobs("w");
        block_on(conformance::queue_figures(&store, &mut jobs));
        let store = MemoryStore::new(QUEUE_LIMIT);
        let mut jobs = store.jobs("w");
        block_on(conformance::a_job_carries_its_trace(&store, &mut jobs));
    }

    #[test]
    fn recent_indexes_are_distinct_and_newest_first() {
        let store = MemoryStore::new(QUEUE_LIMIT);
        let index = |n: u64| FibIndex::try_from(n).expect("small");
        for n in [3, 5, 3, 8] {
            block_on(store.record(index(n))).expect("recorded");
        }
        assert_eq!(
            block_on(store.recent_indexes(2)).expect("read"),
            vec![index(8), index(3)]
        );
        assert_eq!(
            block_on(store.latest(3)).expect("read"),
            vec![index(5), index(3), index(8)]
        );
    }
}
