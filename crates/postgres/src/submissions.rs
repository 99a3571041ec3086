//! The queries behind the HTTP contract, over one shared pool.

use async_trait::async_trait;
use fibstack_core::store::SubmissionLog;
use fibstack_core::{BackendError, FibIndex};
use sqlx::PgPool;

use crate::batch::Recorder;
use crate::errors::classify;

/// The submissions table and its per-index digest. Cheap to clone: it is a pool handle.
#[derive(Debug, Clone)]
pub struct Submissions {
    pool: PgPool,
    recorder: Recorder,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

impl Submissions {
    pub fn new(pool: PgPool) -> Self {
        Submissions {
            recorder: Recorder::new(pool.clone()),
            pool,
        }
    }
}

/// Rows come back without the configured limit: a lowered `FIB_MAX_INDEX` must not hide them.
fn index_from_row(n: i64) -> Result<FibIndex, BackendError> {
    FibIndex::try_from(n)
        .map_err(|error| BackendError::unexpected(fibstack_core::Service::Postgres, error))
}

#[async_trait]
impl SubmissionLog for Submissions {
    /// Applies the versioned migrations that are missing. Safe to run from several processes
    /// at once: sqlx serialises them with an advisory lock.
    async fn migrate(&self) -> Result<(), BackendError> {
        MIGRATOR.run(&self.pool).await.map_err(|error| match error {
            sqlx::migrate::MigrateError::Execute(inner) => classify(inner),
            other => BackendError::unexpected(fibstack_core::Service::Postgres, other),
        })
    }

    /// Records one submission, batched with concurrent ones (see `batch`).
    async fn record(&self, index: FibIndex) -> Result<(), BackendError> {
        self.recorder.record(to_sql(index)).await
    }

    /// The latest `limit` submissions, oldest first (the course's `/values/all`).
    async fn latest(&self, limit: u32) -> Result<Vec<FibIndex>, BackendError> {
        let rows: Vec<i64> = sqlx::query_scalar(
            "SELECT number FROM
               (SELECT id, number FROM submissions ORDER BY id DESC LIMIT $1) latest
             ORDER BY id ASC",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(classify)?;
        rows.into_iter().map(index_from_row).collect()
    }

    /// Kept by a trigger on every insert (`0003_submission_count.sql`).
    async fn count(&self) -> Result<u64, BackendError> {
        let count: i64 = sqlx::query_scalar("SELECT submissions FROM submission_count")
            .fetch_one(&self.pool)
            .await
            .map_err(classify)?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// The `limit` most recently submitted distinct indexes, newest first.
    async fn recent_indexes(&self, limit: u32) -> Result<Vec<FibIndex>, BackendError> {
        let rows: Vec<i64> = sqlx::query_scalar(
            "SELECT number FROM indexes
             ORDER BY last_submission_id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(classify)?;
        rows.into_iter().map(index_from_row).collect()
    }

    /// Whether the index was ever submitted.
    async fn contains(&self, index: FibIndex) -> Result<bool, BackendError> {
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM indexes WHERE number = $1)")
            .bind(to_sql(index))
            .fetch_one(&self.pool)
            .await
            .map_err(classify)
    }

    /// A round trip, for readiness.
    async fn ping(&self) -> Result<(), BackendError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(classify)?;
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "postgres"
    }
}

/// Indexes fit in `BIGINT`: the policy caps them at `u32::MAX`.
fn to_sql(index: FibIndex) -> i64 {
    i64::try_from(index.get()).unwrap_or(i64::MAX)
}
