//! Queueing jobs and reading values: the api's side, as the Redis adapter offers it.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use async_trait::async_trait;
use fibstack_core::store::{CachedState, Enqueued, Lookup, QueueStats, StoredValue, ValueStore};
use fibstack_core::trace::TraceParent;
use fibstack_core::{BackendError, FibIndex};
use rusqlite::{Connection, params};

use crate::errors::{classify, classify_write};
use crate::store::{EmbeddedStore, from_ms};
use crate::submissions::to_row;

#[async_trait]
impl ValueStore for EmbeddedStore {
    async fn enqueue(
        &self,
        index: FibIndex,
        trace: Option<TraceParent>,
    ) -> Result<Enqueued, BackendError> {
        Ok(self
            .enqueue_traced(vec![index], vec![trace])
            .await?
            .remove(0))
    }

    async fn enqueue_many(&self, indexes: &[FibIndex]) -> Result<Vec<Enqueued>, BackendError> {
        if indexes.is_empty() {
            return Ok(Vec::new());
        }
        self.enqueue_traced(indexes.to_vec(), Vec::new()).await
    }

    async fn states(&self, indexes: &[FibIndex]) -> Result<Vec<CachedState>, BackendError> {
        let rows: Vec<(Option<i64>, Option<String>, Option<i64>, bool)> = sqlx::query_as(
            "SELECT c.digits, c.preview, c.computed_at, f.number IS NOT NULL
             FROM json_each(?1) AS asked
             LEFT JOIN computed AS c ON c.number = asked.value
             LEFT JOIN failures AS f ON f.number = asked.value AND f.until > ?2
             ORDER BY asked.key",
        )
        .bind(json_array(indexes))
        .bind(self.now_ms())
        .fetch_all(&self.shared.readers)
        .await
        .map_err(classify)?;
        Ok(rows
            .into_iter()
            .map(|row| match row {
                (Some(digits), Some(preview), at, _) => CachedState::Done(StoredValue {
                    digits: u64::try_from(digits).unwrap_or(0),
                    preview,
                    computed_at: at.map(from_ms),
                }),
                (_, _, _, true) => CachedState::Failed,
                _ => CachedState::Unknown,
            })
            .collect())
    }

    async fn lookup(&self, index: FibIndex) -> Result<Lookup, BackendError> {
        let (value, failed): (Option<String>, bool) = sqlx::query_as(
            "SELECT (SELECT value FROM computed WHERE number = ?1),
                    EXISTS (SELECT 1 FROM failures WHERE number = ?1 AND until > ?2)",
        )
        .bind(to_row(index))
        .bind(self.now_ms())
        .fetch_one(&self.shared.readers)
        .await
        .map_err(classify)?;
        Ok(Lookup::from_parts(value, failed))
    }

    async fn values(&self, indexes: &[FibIndex]) -> Result<Vec<Option<String>>, BackendError> {
        sqlx::query_scalar(
            "SELECT c.value FROM json_each(?1) AS asked
             LEFT JOIN computed AS c ON c.number = asked.value
             ORDER BY asked.key",
        )
        .bind(json_array(indexes))
        .fetch_all(&self.shared.readers)
        .await
        .map_err(classify)
    }

    async fn queue_stats(&self) -> Result<QueueStats, BackendError> {
        // The oldest job has the lowest id: ids grow as jobs are queued.
        let now = self.now_ms();
        let (jobs, redeliveries, stored_again, value_bytes, oldest): (
            i64,
            i64,
            i64,
            i64,
            Option<i64>,
        ) = sqlx::query_as(
            "SELECT jobs, redeliveries, stored_again, value_bytes,
                        (SELECT coalesce(queued_at, ?1) FROM jobs ORDER BY id LIMIT 1)
                 FROM totals WHERE id = 1",
        )
        .bind(now)
        .fetch_one(&self.shared.readers)
        .await
        .map_err(classify)?;
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        Ok(QueueStats {
            jobs: count(jobs),
            redeliveries: count(redeliveries),
            stored_again: count(stored_again),
            oldest_job_age: oldest.map(|at| Duration::from_millis(count(now - at))),
            cache_bytes: count(value_bytes),
        })
    }

    async fn ping(&self) -> Result<(), BackendError> {
        self.ping_pool(&self.shared.readers).await
    }

    fn kind(&self) -> &'static str {
        "embedded"
    }
}

impl EmbeddedStore {
    /// Queues the indexes, each job with the trace beside its index (`traces` is empty when
    /// none has one).
    async fn enqueue_traced(
        &self,
        indexes: Vec<FibIndex>,
        traces: Vec<Option<TraceParent>>,
    ) -> Result<Vec<Enqueued>, BackendError> {
        let queue_limit = self.settings().queue.queue_limit;
        let now = self.now_ms();
        let outcomes = self
            .shared
            .writes
            .write(move |connection| enqueue_all(connection, &indexes, &traces, queue_limit, now))
            .await?;
        if outcomes.contains(&Enqueued::Added) {
            self.shared.job_added.notify_waiters();
        }
        Ok(outcomes)
    }
}

/// Queues the indexes as [`decide`] says, in two statements however many there are. `traces`
/// holds each index's trace in the same order, or is empty when none has one.
pub(crate) fn enqueue_all(
    connection: &Connection,
    indexes: &[FibIndex],
    traces: &[Option<TraceParent>],
    queue_limit: u64,
    now: i64,
) -> Result<Vec<Enqueued>, BackendError> {
    let rows: Vec<(i64, bool, bool, bool, i64)> = connection
        .prepare_cached(
            "SELECT asked.value,
                    EXISTS (SELECT 1 FROM computed WHERE number = asked.value),
                    EXISTS (SELECT 1 FROM failures WHERE number = asked.value AND until > ?2),
                    EXISTS (SELECT 1 FROM jobs WHERE number = asked.value),
                    (SELECT jobs FROM totals WHERE id = 1)
             FROM (SELECT DISTINCT value FROM json_each(?1)) AS asked",
        )
        .and_then(|mut select| {
            select
                .query_map(params![json_array(indexes), now], |row| {
                    Ok((
                        row.get(0)?,
                        row.get(1)?,
                        row.get(2)?,
                        row.get(3)?,
                        row.get(4)?,
                    ))
                })?
                .collect()
        })
        .map_err(classify_write)?;
    let jobs = rows
        .first()
        .map_or(0, |row| u64::try_from(row.4).unwrap_or(0));
    let known: HashMap<u64, Known> = rows
        .into_iter()
        .map(|(number, done, failed, queued, _)| {
            let number = u64::try_from(number).unwrap_or(u64::MAX);
            (
                number,
                Known {
                    done,
                    failed,
                    queued,
                },
            )
        })
        .collect();
    let outcomes = decide(indexes, &known, jobs, queue_limit);
    let added: Vec<usize> = (0..indexes.len())
        .filter(|&n| outcomes[n] == Enqueued::Added)
        .collect();
    if !added.is_empty() {
        let numbers: Vec<FibIndex> = added.iter().map(|&n| indexes[n]).collect();
        let traces = traces
            .iter()
            .any(Option::is_some)
            .then(|| trace_bytes(&added, traces));
        insert_jobs(connection, &numbers, traces, now)?;
    }
    Ok(outcomes)
}

/// Queues a job for each of `numbers`, with its 25 bytes of `traces` in the same order (zeros
/// read back as none: a zero trace id is invalid). A group without traces leaves the column out.
fn insert_jobs(
    connection: &Connection,
    numbers: &[FibIndex],
    traces: Option<Vec<u8>>,
    now: i64,
) -> Result<(), BackendError> {
    const _: () = assert!(TraceParent::BYTES == 25);
    let numbers = json_array(numbers);
    let inserted = match traces {
        Some(traces) => connection
            .prepare_cached(
                "INSERT INTO jobs (number, queued_at, trace)
                 SELECT value, ?2, substr(?3, key * 25 + 1, 25)
                 FROM json_each(?1) ORDER BY key",
            )
            .and_then(|mut insert| insert.execute(params![numbers, now, traces])),
        None => connection
            .prepare_cached(
                "INSERT INTO jobs (number, queued_at)
                 SELECT value, ?2 FROM json_each(?1) ORDER BY key",
            )
            .and_then(|mut insert| insert.execute(params![numbers, now])),
    };
    inserted.map(drop).map_err(classify_write)
}

/// The traces of the jobs at `positions`, 25 bytes each, zeros where there is none: one
/// parameter for the whole group instead of a statement per job.
fn trace_bytes(positions: &[usize], traces: &[Option<TraceParent>]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(positions.len() * TraceParent::BYTES);
    for &n in positions {
        match traces.get(n).copied().flatten() {
            Some(trace) => bytes.extend_from_slice(&trace.to_bytes()),
            None => bytes.extend_from_slice(&[0; TraceParent::BYTES]),
        }
    }
    bytes
}

/// What the store held of one index before a batch.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Known {
    pub(crate) done: bool,
    pub(crate) failed: bool,
    pub(crate) queued: bool,
}

/// The queue's decision for each index in order, as the Redis enqueue script makes them one
/// after another: an index queued earlier in the batch is already queued for a later one, and
/// each added job counts against the limit.
pub(crate) fn decide(
    indexes: &[FibIndex],
    known: &HashMap<u64, Known>,
    mut jobs: u64,
    queue_limit: u64,
) -> Vec<Enqueued> {
    let mut added = HashSet::new();
    indexes
        .iter()
        .map(|index| {
            let known = known.get(&index.get()).copied().unwrap_or_default();
            if known.done {
                Enqueued::AlreadyDone
            } else if known.failed {
                Enqueued::Failed
            } else if known.queued || added.contains(index) {
                Enqueued::AlreadyQueued
            } else if jobs >= queue_limit {
                Enqueued::QueueFull
            } else {
                jobs += 1;
                added.insert(*index);
                Enqueued::Added
            }
        })
        .collect()
}

/// `[7,8,40]`: the indexes as one parameter, read back row by row with `json_each`.
pub(crate) fn json_array(indexes: &[FibIndex]) -> String {
    use std::fmt::Write;
    // One buffer for the whole group: every submission passes through here.
    let mut array = String::with_capacity(2 + indexes.len() * 8);
    array.push('[');
    for (n, index) in indexes.iter().enumerate() {
        if n > 0 {
            array.push(',');
        }
        let _ = write!(array, "{index}");
    }
    array.push(']');
    array
}

#[cfg(test)]
mod tests {
    use super::*;

    fn indexes(numbers: &[u64]) -> Vec<FibIndex> {
        numbers
            .iter()
            .map(|&n| FibIndex::try_from(n).expect("valid"))
            .collect()
    }

    #[test]
    fn a_batch_decides_as_one_submission_after_another() {
        let known = HashMap::from([
            (
                1,
                Known {
                    done: true,
                    ..Known::default()
                },
            ),
            (
                2,
                Known {
                    failed: true,
                    ..Known::default()
                },
            ),
            (
                3,
                Known {
                    queued: true,
                    ..Known::default()
                },
            ),
        ]);
        assert_eq!(
            decide(&indexes(&[1, 2, 3, 4, 4, 5, 6]), &known, 1, 3),
            [
                Enqueued::AlreadyDone,
                Enqueued::Failed,
                Enqueued::AlreadyQueued,
                Enqueued::Added,
                Enqueued::AlreadyQueued,
                Enqueued::Added,
                Enqueued::QueueFull,
            ]
        );
    }

    #[test]
    fn stored_beats_failed_beats_queued_beats_full() {
        let everything = Known {
            done: true,
            failed: true,
            queued: true,
        };
        let known = HashMap::from([
            (7, everything),
            (
                8,
                Known {
                    failed: true,
                    queued: true,
                    done: false,
                },
            ),
        ]);
        assert_eq!(
            decide(&indexes(&[7, 8]), &known, 5, 5),
            [Enqueued::AlreadyDone, Enqueued::Failed]
        );
    }
}
