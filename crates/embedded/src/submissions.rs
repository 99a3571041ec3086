//! The durable record of submissions, as the Postgres adapter keeps it, and taking a
//! submission in (its job and its record in one write).

use async_trait::async_trait;
use fibstack_core::store::{Enqueued, Intake, SubmissionLog};
use fibstack_core::trace::TraceParent;
use fibstack_core::{BackendError, FibIndex, Service};
use rusqlite::{Connection, params};

use crate::errors::{classify, classify_write};
use crate::store::EmbeddedStore;
use crate::values::json_array;

#[async_trait]
impl SubmissionLog for EmbeddedStore {
    /// The schema is applied when the file is opened; nothing is left to do.
    async fn migrate(&self) -> Result<(), BackendError> {
        Ok(())
    }

    async fn record(&self, index: FibIndex) -> Result<(), BackendError> {
        let now = self.now_ms();
        self.shared
            .writes
            .write(move |connection| insert_submissions(connection, &[index], now))
            .await
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

    /// Kept by a trigger on every insert (`0005_submission_count.sql`).
    async fn count(&self) -> Result<u64, BackendError> {
        let count: i64 = sqlx::query_scalar("SELECT submissions FROM totals WHERE id = 1")
            .fetch_one(&self.shared.readers)
            .await
            .map_err(classify)?;
        Ok(u64::try_from(count).unwrap_or(0))
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

    /// A round through the writer thread: it answers only while it can commit.
    async fn ping(&self) -> Result<(), BackendError> {
        self.shared.writes.write(|_| Ok(())).await
    }

    fn kind(&self) -> &'static str {
        "embedded"
    }
}

/// The job and the record in one write, grouped with the submissions that arrive meanwhile
/// (`intake`): one commit for the group, and never one of the two without the other.
#[async_trait]
impl Intake for EmbeddedStore {
    async fn submit(
        &self,
        index: FibIndex,
        trace: Option<TraceParent>,
    ) -> Result<Enqueued, BackendError> {
        let outcome = self.shared.intake.submit(index, trace).await?;
        if outcome == Enqueued::Added {
            self.shared.job_added.notify_waiters();
        }
        Ok(outcome)
    }
}

/// The history rows, in order; each index's digest follows by trigger (`submission_added`).
pub(crate) fn insert_submissions(
    connection: &Connection,
    indexes: &[FibIndex],
    now: i64,
) -> Result<(), BackendError> {
    connection
        .prepare_cached(
            "INSERT INTO submissions (number, submitted_at)
             SELECT value, ?2 FROM json_each(?1) ORDER BY key",
        )
        .and_then(|mut insert| insert.execute(params![json_array(indexes), now]))
        .map_err(classify_write)?;
    Ok(())
}

/// Indexes fit in SQLite's 64-bit integers: the policy caps them at `u32::MAX`.
pub(crate) fn to_row(index: FibIndex) -> i64 {
    i64::try_from(index.get()).unwrap_or(i64::MAX)
}

/// Rows come back without the configured limit: a lowered `FIB_MAX_INDEX` must not hide them.
pub(crate) fn from_row(number: i64) -> Result<FibIndex, BackendError> {
    FibIndex::try_from(number).map_err(|error| BackendError::unexpected(Service::Sqlite, error))
}
