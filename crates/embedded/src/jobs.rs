//! The worker's side: claim a job, keep the claim, store the value or give up.

use std::time::Duration;

use async_trait::async_trait;
use fibstack_core::http::{ValueEvent, ValueStatus};
use fibstack_core::store::{Job, JobSource, RelayedEvent};
use fibstack_core::summary::{digit_count, preview};
use fibstack_core::{BackendError, FibIndex};

use crate::errors::classify;
use crate::store::{EmbeddedStore, duration_ms, now_ms};
use crate::submissions::to_row;

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

impl EmbeddedJobs {
    /// Claims the oldest job that is waiting or whose claim ran out.
    async fn claim(&self) -> Result<Option<Job>, BackendError> {
        let settings = self.store.settings();
        let now = now_ms();
        let row: Option<(i64, i64, i64)> = sqlx::query_as(
            "UPDATE jobs SET deliveries = deliveries + 1, claimed_until = ?1
             WHERE id = (SELECT id FROM jobs
                         WHERE claimed_until IS NULL OR claimed_until < ?2
                         ORDER BY id LIMIT 1)
             RETURNING id, number, deliveries",
        )
        .bind(now.saturating_add(duration_ms(settings.reclaim_idle)))
        .bind(now)
        .fetch_optional(&self.store.shared.writer)
        .await
        .map_err(classify)?;
        Ok(row.map(|(id, number, deliveries)| Job {
            id: id.to_string(),
            index: settings
                .policy
                .parse_str(&number.to_string())
                .map_err(|error| format!("job {number} is not a valid index: {error}")),
            deliveries: u64::try_from(deliveries).unwrap_or(0),
        }))
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
        // Listen before looking, so a job queued in between still wakes this worker.
        let added = self.store.shared.job_added.notified();
        tokio::pin!(added);
        added.as_mut().enable();
        if let Some(job) = self.claim().await? {
            return Ok(Some(job));
        }
        // Stale claims are not announced: the wait is bounded so they are found in time.
        match tokio::time::timeout(self.store.settings().block, added).await {
            Ok(()) => self.claim().await,
            Err(_) => Ok(None),
        }
    }

    async fn keep_alive(&self, job: &Job) -> Result<(), BackendError> {
        sqlx::query("UPDATE jobs SET claimed_until = ?1 WHERE id = ?2")
            .bind(now_ms().saturating_add(duration_ms(self.store.settings().reclaim_idle)))
            .bind(job_row(job))
            .execute(&self.store.shared.writer)
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn complete(
        &self,
        job: &Job,
        index: FibIndex,
        decimal: &str,
    ) -> Result<bool, BackendError> {
        let digits = digit_count(decimal);
        let size = i64::try_from(decimal.len()).unwrap_or(i64::MAX);
        let budget = i64::try_from(self.store.settings().cache_budget).unwrap_or(i64::MAX);
        let mut tx = self.store.shared.writer.begin().await.map_err(classify)?;
        let fresh: bool =
            sqlx::query_scalar("SELECT NOT EXISTS (SELECT 1 FROM computed WHERE number = ?1)")
                .bind(to_row(index))
                .fetch_one(&mut *tx)
                .await
                .map_err(classify)?;
        if fresh {
            // Evict the oldest values until the new one fits (a value larger than the whole
            // budget is still kept, alone), as the Redis store script does.
            sqlx::query(
                "DELETE FROM computed WHERE number IN (
                   SELECT number FROM (
                     SELECT number, digits,
                            sum(digits) OVER (ORDER BY computed_at, number) AS through_here
                     FROM computed)
                   WHERE through_here - digits <
                         (SELECT value_bytes FROM totals WHERE id = 1) + ?1 - ?2)",
            )
            .bind(size)
            .bind(budget)
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
            sqlx::query(
                "INSERT INTO computed (number, value, digits, preview, computed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .bind(to_row(index))
            .bind(decimal)
            .bind(i64::try_from(digits).unwrap_or(i64::MAX))
            .bind(preview(decimal))
            .bind(now_ms())
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
        }
        sqlx::query("DELETE FROM jobs WHERE id = ?1")
            .bind(job_row(job))
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
        tx.commit().await.map_err(classify)?;
        if fresh {
            self.announce(index, ValueStatus::Done, Some(digits));
        }
        Ok(fresh)
    }

    async fn fail(&self, job: &Job, reason: &str) -> Result<(), BackendError> {
        let now = now_ms();
        let until = now.saturating_add(duration_ms(self.store.settings().failure_memory));
        let mut tx = self.store.shared.writer.begin().await.map_err(classify)?;
        sqlx::query("DELETE FROM jobs WHERE id = ?1")
            .bind(job_row(job))
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
        // Forgotten failures go here, so the table holds only the ones that still count.
        sqlx::query("DELETE FROM failures WHERE until <= ?1")
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
        if let Ok(index) = job.index {
            sqlx::query(
                "INSERT OR REPLACE INTO failures (number, reason, until) VALUES (?1, ?2, ?3)",
            )
            .bind(to_row(index))
            .bind(reason)
            .bind(until)
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
        }
        tx.commit().await.map_err(classify)?;
        if let Ok(index) = job.index {
            self.announce(index, ValueStatus::Failed, None);
        }
        Ok(())
    }

    fn reclaim_idle(&self) -> Duration {
        self.store.settings().reclaim_idle
    }

    fn max_deliveries(&self) -> u64 {
        self.store.settings().max_deliveries
    }

    fn worker_name(&self) -> &str {
        &self.name
    }
}

/// Job ids are the row ids this module handed out.
fn job_row(job: &Job) -> i64 {
    job.id.parse().unwrap_or(-1)
}
