//! Queueing jobs and reading values: the api's side, as the Redis adapter offers it.

use async_trait::async_trait;
use fibstack_core::store::{CachedState, Enqueued, Lookup, QueueStats, StoredValue, ValueStore};
use fibstack_core::{BackendError, FibIndex};
use sqlx::{Sqlite, Transaction};

use crate::errors::classify;
use crate::store::{EmbeddedStore, from_ms, now_ms};
use crate::submissions::to_row;

#[async_trait]
impl ValueStore for EmbeddedStore {
    async fn enqueue(&self, index: FibIndex) -> Result<Enqueued, BackendError> {
        Ok(self.enqueue_many(&[index]).await?.remove(0))
    }

    async fn enqueue_many(&self, indexes: &[FibIndex]) -> Result<Vec<Enqueued>, BackendError> {
        if indexes.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.shared.writer.begin().await.map_err(classify)?;
        let mut outcomes = Vec::with_capacity(indexes.len());
        for &index in indexes {
            outcomes.push(enqueue_one(&mut tx, index, self.settings().queue_limit).await?);
        }
        tx.commit().await.map_err(classify)?;
        if outcomes.contains(&Enqueued::Added) {
            self.shared.job_added.notify_waiters();
        }
        Ok(outcomes)
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
        .bind(now_ms())
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
        .bind(now_ms())
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
        let (jobs, redeliveries): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM jobs), (SELECT redeliveries FROM totals WHERE id = 1)",
        )
        .fetch_one(&self.shared.readers)
        .await
        .map_err(classify)?;
        Ok(QueueStats {
            jobs: u64::try_from(jobs).unwrap_or(0),
            redeliveries: u64::try_from(redeliveries).unwrap_or(0),
        })
    }

    async fn ping(&self) -> Result<(), BackendError> {
        self.ping_pool(&self.shared.readers).await
    }
}

/// The same decisions, in the same order, as the Redis enqueue script.
async fn enqueue_one(
    tx: &mut Transaction<'static, Sqlite>,
    index: FibIndex,
    queue_limit: u64,
) -> Result<Enqueued, BackendError> {
    let (done, failed, queued, jobs): (bool, bool, bool, i64) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM computed WHERE number = ?1),
                EXISTS (SELECT 1 FROM failures WHERE number = ?1 AND until > ?2),
                EXISTS (SELECT 1 FROM jobs WHERE number = ?1),
                (SELECT count(*) FROM jobs)",
    )
    .bind(to_row(index))
    .bind(now_ms())
    .fetch_one(&mut **tx)
    .await
    .map_err(classify)?;
    let outcome = if done {
        Enqueued::AlreadyDone
    } else if failed {
        Enqueued::Failed
    } else if queued {
        Enqueued::AlreadyQueued
    } else if u64::try_from(jobs).unwrap_or(0) >= queue_limit {
        Enqueued::QueueFull
    } else {
        sqlx::query("INSERT INTO jobs (number) VALUES (?1)")
            .bind(to_row(index))
            .execute(&mut **tx)
            .await
            .map_err(classify)?;
        Enqueued::Added
    };
    Ok(outcome)
}

/// `[7,8,40]`: the indexes as one parameter, read back row by row with `json_each`.
fn json_array(indexes: &[FibIndex]) -> String {
    let items: Vec<String> = indexes.iter().map(ToString::to_string).collect();
    format!("[{}]", items.join(","))
}
