//! Group commit: every write of the store goes through one task, which runs the writes that
//! arrived while the previous commit was reaching the disk in one transaction, with one fsync.
//! A caller is answered only once the commit holding its write has returned, so batching never
//! acknowledges a write that a power cut could still undo; `synchronous=FULL` stays as it is.
//!
//! A lone write is committed at once, on its own: batching adds no wait. A batch commits whole
//! or not at all: when one write in it fails, the others are rolled back too and every caller
//! gets the error (as the Postgres adapter's batched submissions do).

use std::future::Future;
use std::pin::Pin;

use fibstack_core::{BackendError, Service};
use sqlx::{SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use crate::errors::classify;

/// Writes in one transaction, at most: a batch's rows stay small enough to commit quickly.
const MAX_BATCH: usize = 256;
/// Writes waiting for a batch; past it, callers wait to hand theirs over.
const WAITING: usize = 4096;

pub(crate) type BoxFuture<'c, T> = Pin<Box<dyn Future<Output = T> + Send + 'c>>;

/// The handle on the writing task. Cheap to clone; the task stops when the last one is dropped.
#[derive(Debug, Clone)]
pub(crate) struct GroupWriter {
    queue: mpsc::Sender<Box<dyn PendingWrite>>,
}

impl GroupWriter {
    /// Starts the writing task on the current runtime; it writes through `pool`.
    pub(crate) fn start(pool: SqlitePool) -> GroupWriter {
        let (queue, waiting) = mpsc::channel(WAITING);
        tokio::spawn(write_batches(pool, waiting));
        GroupWriter { queue }
    }

    /// Runs `write` inside the next batch's transaction and returns its result once that batch
    /// has committed.
    pub(crate) async fn write<T, F>(&self, write: F) -> Result<T, BackendError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, BackendError>>
            + Send
            + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let pending = Box::new(Waiting {
            write: Some(write),
            result: None,
            reply,
        });
        self.queue.send(pending).await.map_err(|_| store_closed())?;
        answer.await.map_err(|_| store_closed())?
    }
}

/// What a caller hears when the task it handed its write to has stopped.
pub(crate) fn store_closed() -> BackendError {
    BackendError::unexpected(Service::Sqlite, "the store is closed")
}

/// One caller's write, its type erased so writes of every kind share a batch.
trait PendingWrite: Send {
    /// Runs the write on the batch's transaction, keeping its result for `answer`.
    fn apply<'c>(
        &'c mut self,
        connection: &'c mut SqliteConnection,
    ) -> BoxFuture<'c, Result<(), BackendError>>;
    /// Tells the caller how its batch ended.
    fn answer(self: Box<Self>, batch: &Result<(), BackendError>);
}

struct Waiting<T, F> {
    write: Option<F>,
    result: Option<T>,
    reply: oneshot::Sender<Result<T, BackendError>>,
}

impl<T, F> PendingWrite for Waiting<T, F>
where
    T: Send + 'static,
    F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, BackendError>>
        + Send
        + 'static,
{
    fn apply<'c>(
        &'c mut self,
        connection: &'c mut SqliteConnection,
    ) -> BoxFuture<'c, Result<(), BackendError>> {
        Box::pin(async move {
            if let Some(write) = self.write.take() {
                self.result = Some(write(connection).await?);
            }
            Ok(())
        })
    }

    fn answer(self: Box<Self>, batch: &Result<(), BackendError>) {
        let answer = match (batch, self.result) {
            (Ok(()), Some(result)) => Ok(result),
            (Ok(()), None) => Err(BackendError::unexpected(
                Service::Sqlite,
                "a write was left out of its batch",
            )),
            (Err(error), _) => Err(error.for_another_caller()),
        };
        // A caller that gave up (its client went away) no longer listens.
        let _ = self.reply.send(answer);
    }
}

async fn write_batches(pool: SqlitePool, mut waiting: mpsc::Receiver<Box<dyn PendingWrite>>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // Everything that arrived while the previous batch was written, up to MAX_BATCH.
    while waiting.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let committed = commit_together(&pool, &mut batch).await;
        for pending in batch.drain(..) {
            pending.answer(&committed);
        }
    }
}

/// One transaction for the whole batch; an error rolls all of it back (dropping the
/// transaction does).
async fn commit_together(
    pool: &SqlitePool,
    batch: &mut [Box<dyn PendingWrite>],
) -> Result<(), BackendError> {
    let mut tx = pool.begin().await.map_err(classify)?;
    for pending in batch.iter_mut() {
        pending.apply(&mut tx).await?;
    }
    tx.commit().await.map_err(classify)
}
