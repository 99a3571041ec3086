//! The worker's side: claim a job, keep the claim, store the value or give up.

use async_trait::async_trait;
use fibstack_core::http::{ValueEvent, ValueStatus};
use fibstack_core::store::{Computed, Job, JobSource, RelayedEvent};
use fibstack_core::summary::{digit_count, preview};
use fibstack_core::trace::TraceParent;
use fibstack_core::{BackendError, FibIndex};
use rusqlite::{Connection, OptionalExtension, params};

use crate::errors::classify_write;
use crate::store::{EmbeddedStore, duration_ms, from_ms};
use crate::submissions::to_row;

/// Most jobs claimed at once: as in the Redis queue, small jobs go in batches, so their claims
/// and their values cost one commit per batch, not per job.
const BATCH: usize = 32;

/// One worker's handle on the queue.
#[derive(Debug)]
pub struct EmbeddedJobs {
    store: EmbeddedStore,
    name: String,
}

impl EmbeddedStore {
    /// A handle for one worker loop, named in its logs.
    pub fn jobs(&self, name: String) -> EmbeddedJobs {
        EmbeddedJobs {
            store: self.clone(),
            name,
        }
    }
}

/// A claimed job's row: id, number, deliveries, when it was queued, its trace.
type ClaimedRow = (i64, i64, i64, Option<i64>, Option<TraceParent>);

impl EmbeddedJobs {
    /// Claims the oldest jobs that are waiting or whose claim ran out, in one write: up to
    /// `most`, stopping after the first whose index is `large_from` or more (as the Redis
    /// queue hands them out).
    async fn claim(&self, most: usize, large_from: u64) -> Result<Vec<Job>, BackendError> {
        let settings = self.store.settings();
        let now = self.store.now_ms();
        let claimed_until = now.saturating_add(duration_ms(settings.queue.reclaim_idle));
        let large_from = i64::try_from(large_from).unwrap_or(i64::MAX);
        let rows: Vec<ClaimedRow> = self
            .store
            .shared
            .writes
            .write(move |connection| {
                let mut claim = connection
                    .prepare_cached(
                        "UPDATE jobs SET deliveries = deliveries + 1, claimed_until = ?1
                         WHERE id = (SELECT id FROM jobs
                                     WHERE claimed_until IS NULL OR claimed_until < ?2
                                     ORDER BY id LIMIT 1)
                         RETURNING id, number, deliveries, queued_at, trace",
                    )
                    .map_err(classify_write)?;
                let mut rows = Vec::new();
                while rows.len() < most {
                    let row: Option<ClaimedRow> = claim
                        .query_row(params![claimed_until, now], |row| {
                            Ok((
                                row.get(0)?,
                                row.get(1)?,
                                row.get(2)?,
                                row.get(3)?,
                                // Read in place: no copy of the blob per job.
                                row.get_ref(4)?
                                    .as_blob_or_null()?
                                    .and_then(TraceParent::from_bytes),
                            ))
                        })
                        .optional()
                        .map_err(classify_write)?;
                    let Some(row) = row else { break };
                    let large = row.1 >= large_from;
                    rows.push(row);
                    if large {
                        break;
                    }
                }
                Ok(rows)
            })
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, number, deliveries, queued_at, trace)| Job {
                id: id.to_string(),
                index: settings
                    .policy
                    .check_signed(number)
                    .map_err(|error| format!("job {number} is not a valid index: {error}")),
                deliveries: u64::try_from(deliveries).unwrap_or(0),
                queued_at: queued_at.map(from_ms),
                trace,
            })
            .collect())
    }

    fn announce(&self, index: FibIndex, status: ValueStatus, digits: Option<u64>) {
        self.store
            .shared
            .events
            .publish(RelayedEvent::Changed(ValueEvent {
                index: index.get(),
                status,
                digits,
            }));
    }
}

#[async_trait]
impl JobSource for EmbeddedJobs {
    async fn next(&mut self) -> Result<Option<Job>, BackendError> {
        Ok(self.next_batch(0).await?.into_iter().next())
    }

    async fn next_batch(&mut self, large_from: u64) -> Result<Vec<Job>, BackendError> {
        // Listen before looking, so a job queued in between still wakes this worker.
        let added = self.store.shared.job_added.notified();
        tokio::pin!(added);
        added.as_mut().enable();
        let waiting = self.claim(BATCH, large_from).await?;
        if !waiting.is_empty() {
            return Ok(waiting);
        }
        // Stale claims are not announced: the wait is bounded so they are found in time.
        match tokio::time::timeout(self.store.settings().block, added).await {
            Ok(()) => self.claim(BATCH, large_from).await,
            Err(_) => Ok(Vec::new()),
        }
    }

    async fn keep_alive(&self, job: &Job) -> Result<(), BackendError> {
        let claimed_until = self
            .store
            .now_ms()
            .saturating_add(duration_ms(self.store.settings().queue.reclaim_idle));
        let id = job_row(job);
        self.store
            .shared
            .writes
            .write(move |connection| {
                connection
                    .prepare_cached("UPDATE jobs SET claimed_until = ?1 WHERE id = ?2")
                    .and_then(|mut renew| renew.execute([claimed_until, id]))
                    .map_err(classify_write)?;
                Ok(())
            })
            .await
    }

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

    /// Every value of the batch in one write (one commit), then their events.
    async fn complete_many(&self, done: &[Computed]) -> Result<Vec<bool>, BackendError> {
        let now = self.store.now_ms();
        let values: Vec<(i64, NewValue)> = done
            .iter()
            .map(|computed| {
                let value = NewValue {
                    computed_at: now,
                    number: to_row(computed.index),
                    digits: i64::try_from(digit_count(&computed.decimal)).unwrap_or(i64::MAX),
                    preview: preview(&computed.decimal),
                    decimal: computed.decimal.clone(),
                };
                (job_row(&computed.job), value)
            })
            .collect();
        let budget = i64::try_from(self.store.settings().queue.cache_budget).unwrap_or(i64::MAX);
        let fresh = self
            .store
            .shared
            .writes
            .write(move |connection| {
                values
                    .into_iter()
                    .map(|(job, value)| store_value(connection, job, value, budget))
                    .collect::<Result<Vec<bool>, BackendError>>()
            })
            .await?;
        for (computed, &fresh) in done.iter().zip(&fresh) {
            if fresh {
                let digits = digit_count(&computed.decimal);
                self.announce(computed.index, ValueStatus::Done, Some(digits));
            }
        }
        Ok(fresh)
    }

    async fn fail(&self, job: &Job, reason: &str) -> Result<(), BackendError> {
        let now = self.store.now_ms();
        let failure = job.index.as_ref().ok().map(|&index| Failure {
            number: to_row(index),
            reason: reason.to_owned(),
            until: now.saturating_add(duration_ms(self.store.settings().queue.failure_memory)),
        });
        let id = job_row(job);
        self.store
            .shared
            .writes
            .write(move |connection| give_up(connection, id, failure, now))
            .await?;
        if let Ok(index) = job.index {
            self.announce(index, ValueStatus::Failed, None);
        }
        Ok(())
    }

    fn worker_name(&self) -> &str {
        &self.name
    }
}

/// Job ids are the row ids this module handed out.
fn job_row(job: &Job) -> i64 {
    job.id.parse().unwrap_or(-1)
}

/// A computed value as the `computed` table keeps it.
struct NewValue {
    computed_at: i64,
    number: i64,
    decimal: String,
    digits: i64,
    preview: String,
}

/// Stores the value unless it is there already and ends the job; true when it was new.
fn store_value(
    connection: &Connection,
    job: i64,
    value: NewValue,
    budget: i64,
) -> Result<bool, BackendError> {
    let fresh: bool = connection
        .prepare_cached("SELECT NOT EXISTS (SELECT 1 FROM computed WHERE number = ?1)")
        .and_then(|mut absent| absent.query_row([value.number], |row| row.get(0)))
        .map_err(classify_write)?;
    if fresh {
        evict_for(connection, value.decimal.len(), budget)?;
        connection
            .prepare_cached(
                "INSERT INTO computed (number, value, digits, preview, computed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .and_then(|mut insert| {
                insert.execute(params![
                    value.number,
                    value.decimal,
                    value.digits,
                    value.preview,
                    value.computed_at
                ])
            })
            .map_err(classify_write)?;
    } else {
        connection
            .prepare_cached("UPDATE totals SET stored_again = stored_again + 1 WHERE id = 1")
            .and_then(|mut count| count.execute([]))
            .map_err(classify_write)?;
    }
    end_job(connection, job)?;
    Ok(fresh)
}

/// Takes the job off the queue, in the transaction that settles it.
fn end_job(connection: &Connection, job: i64) -> Result<(), BackendError> {
    connection
        .prepare_cached("DELETE FROM jobs WHERE id = ?1")
        .and_then(|mut delete| delete.execute([job]))
        .map_err(classify_write)?;
    Ok(())
}

/// Evicts the oldest values until one of `size` bytes fits in `budget` (a value larger than the
/// whole budget is still kept, alone), as the Redis store script does. One oldest row at a
/// time, through the age index: usually one or two go, and a scan of the whole table per stored
/// value would grow with the cache.
fn evict_for(connection: &Connection, size: usize, budget: i64) -> Result<(), BackendError> {
    let stored: i64 = connection
        .prepare_cached("SELECT value_bytes FROM totals WHERE id = 1")
        .and_then(|mut totals| totals.query_row([], |row| row.get(0)))
        .map_err(classify_write)?;
    let mut excess = stored
        .saturating_add(i64::try_from(size).unwrap_or(i64::MAX))
        .saturating_sub(budget);
    if excess <= 0 {
        return Ok(());
    }
    let mut evict_oldest = connection
        .prepare_cached(
            "DELETE FROM computed WHERE number =
               (SELECT number FROM computed ORDER BY computed_at, number LIMIT 1)
             RETURNING digits",
        )
        .map_err(classify_write)?;
    while excess > 0 {
        let evicted: Option<i64> = evict_oldest
            .query_row([], |row| row.get(0))
            .optional()
            .map_err(classify_write)?;
        match evicted {
            Some(digits) => excess -= digits,
            None => break,
        }
    }
    Ok(())
}

/// Why an index was given up on, remembered until `until`.
struct Failure {
    number: i64,
    reason: String,
    until: i64,
}

/// Ends the job and remembers its failure (a job whose index is not valid has none to keep).
fn give_up(
    connection: &Connection,
    job: i64,
    failure: Option<Failure>,
    now: i64,
) -> Result<(), BackendError> {
    end_job(connection, job)?;
    // Forgotten failures go here, so the table holds only the ones that still count.
    connection
        .prepare_cached("DELETE FROM failures WHERE until <= ?1")
        .and_then(|mut forget| forget.execute([now]))
        .map_err(classify_write)?;
    if let Some(failure) = failure {
        connection
            .prepare_cached(
                "INSERT OR REPLACE INTO failures (number, reason, until) VALUES (?1, ?2, ?3)",
            )
            .and_then(|mut remember| {
                remember.execute(params![failure.number, failure.reason, failure.until])
            })
            .map_err(classify_write)?;
    }
    Ok(())
}
