//! The durable record of submissions, as the Postgres adapter keeps it.

use async_trait::async_trait;
use fibstack_core::store::SubmissionLog;
use fibstack_core::{BackendError, FibIndex, IndexPolicy, Service};

use crate::errors::classify;
use crate::store::{EmbeddedStore, now_ms};

#[async_trait]
impl SubmissionLog for EmbeddedStore {
    /// The schema is applied when the file is opened; nothing is left to do.
    async fn migrate(&self) -> Result<(), BackendError> {
        Ok(())
    }

    async fn record(&self, index: FibIndex) -> Result<(), BackendError> {
        let mut tx = self.shared.writer.begin().await.map_err(classify)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO submissions (number, submitted_at) VALUES (?1, ?2) RETURNING id",
        )
        .bind(to_row(index))
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await
        .map_err(classify)?;
        sqlx::query(
            "INSERT INTO indexes (number, last_submission_id) VALUES (?1, ?2)
             ON CONFLICT (number) DO UPDATE SET last_submission_id = excluded.last_submission_id",
        )
        .bind(to_row(index))
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(classify)?;
        tx.commit().await.map_err(classify)
    }

    async fn latest(&self, limit: u32) -> Result<Vec<FibIndex>, BackendError> {
        let rows: Vec<i64> = sqlx::query_scalar(
            "SELECT number FROM
               (SELECT id, number FROM submissions ORDER BY id DESC LIMIT ?1)
             ORDER BY id ASC",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.shared.readers)
        .await
        .map_err(classify)?;
        rows.into_iter().map(from_row).collect()
    }

    async fn recent_indexes(&self, limit: u32) -> Result<Vec<FibIndex>, BackendError> {
        let rows: Vec<i64> = sqlx::query_scalar(
            "SELECT number FROM indexes ORDER BY last_submission_id DESC LIMIT ?1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.shared.readers)
        .await
        .map_err(classify)?;
        rows.into_iter().map(from_row).collect()
    }

    async fn contains(&self, index: FibIndex) -> Result<bool, BackendError> {
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM indexes WHERE number = ?1)")
            .bind(to_row(index))
            .fetch_one(&self.shared.readers)
            .await
            .map_err(classify)
    }

    async fn ping(&self) -> Result<(), BackendError> {
        self.ping_pool(&self.shared.writer).await
    }
}

/// Indexes fit in SQLite's 64-bit integers: the policy caps them at `u32::MAX`.
pub(crate) fn to_row(index: FibIndex) -> i64 {
    i64::try_from(index.get()).unwrap_or(i64::MAX)
}

/// Rows re-enter the program through the same parser as any other input, with no limit (a
/// lowered `FIB_MAX_INDEX` must not hide old rows).
pub(crate) fn from_row(number: i64) -> Result<FibIndex, BackendError> {
    IndexPolicy::new(u64::MAX)
        .parse_str(&number.to_string())
        .map_err(|error| BackendError::unexpected(Service::Sqlite, error))
}
