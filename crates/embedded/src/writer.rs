//! Group commit: every write of the store goes to one thread, which owns the only connection
//! that writes and runs the writes that arrived while the previous commit was reaching the disk
//! in one transaction, with one fsync. A caller is answered only once the commit holding its
//! write has returned, so batching never acknowledges a write that a power cut could still undo;
//! `synchronous=FULL` stays as it is.
//!
//! A lone write is committed at once, on its own: batching adds no wait. A batch commits whole
//! or not at all: when one write in it fails, the others are rolled back too and every caller
//! gets the error (as the Postgres adapter's batched submissions do).
//!
//! The writes are plain calls on the thread's own connection: a batch costs one hand-off between
//! threads each way, however many statements it runs. (Through an async driver each statement
//! was a round trip to the connection's thread, and those wake-ups, not SQLite, took most of
//! the time of a write.)

use std::thread;

use fibstack_core::{BackendError, Service};
use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use crate::errors::classify_write;

/// Writes in one transaction, at most: a batch's rows stay small enough to commit quickly.
const MAX_BATCH: usize = 256;
/// Writes waiting for a batch; past it, callers wait to hand theirs over.
const WAITING: usize = 4096;

/// The handle on the writing thread. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct GroupWriter {
    queue: mpsc::Sender<Message>,
}

enum Message {
    Write(Box<dyn PendingWrite>),
    /// Close the connection (finishing the write-ahead log into the file), then say so.
    Close(oneshot::Sender<()>),
}

impl GroupWriter {
    /// Starts the writing thread, which owns `connection` until the store is closed.
    pub(crate) fn start(connection: Connection) -> std::io::Result<GroupWriter> {
        let (queue, waiting) = mpsc::channel(WAITING);
        thread::Builder::new()
            .name("sqlite-writer".to_owned())
            .spawn(move || write_batches(connection, waiting))?;
        Ok(GroupWriter { queue })
    }

    /// Runs `write` inside the next batch's transaction and returns its result once that batch
    /// has committed. `write` runs on the writer thread: it should only talk to the connection.
    pub(crate) async fn write<T, F>(&self, write: F) -> Result<T, BackendError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, BackendError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let pending = Box::new(Waiting {
            write: Some(write),
            result: None,
            reply,
        });
        self.queue
            .send(Message::Write(pending))
            .await
            .map_err(|_| store_closed())?;
        answer.await.map_err(|_| store_closed())?
    }

    /// Commits what was handed over before, then closes the connection; later writes fail with
    /// "the store is closed".
    pub(crate) async fn close(&self) {
        let (done, closed) = oneshot::channel();
        if self.queue.send(Message::Close(done)).await.is_ok() {
            let _ = closed.await;
        }
    }
}

/// What a caller hears when the thread it handed its write to has stopped.
pub(crate) fn store_closed() -> BackendError {
    BackendError::unexpected(Service::Sqlite, "the store is closed")
}

/// One caller's write, its type erased so writes of every kind share a batch.
trait PendingWrite: Send {
    /// Runs the write on the batch's transaction, keeping its result for `answer`.
    fn apply(&mut self, connection: &Connection) -> Result<(), BackendError>;
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
    F: FnOnce(&Connection) -> Result<T, BackendError> + Send + 'static,
{
    fn apply(&mut self, connection: &Connection) -> Result<(), BackendError> {
        if let Some(write) = self.write.take() {
            self.result = Some(write(connection)?);
        }
        Ok(())
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

/// The writer thread: everything that arrived while the previous batch was written, up to
/// `MAX_BATCH`, in one transaction. Stops when told to close or when every handle is gone.
fn write_batches(mut connection: Connection, mut waiting: mpsc::Receiver<Message>) {
    let mut batch: Vec<Box<dyn PendingWrite>> = Vec::with_capacity(MAX_BATCH);
    let mut closing = None;
    while let Some(first) = waiting.blocking_recv() {
        let mut next = Some(first);
        while let Some(message) = next.take() {
            match message {
                Message::Write(pending) => batch.push(pending),
                Message::Close(done) => {
                    closing = Some(done);
                    break;
                }
            }
            if batch.len() < MAX_BATCH {
                next = waiting.try_recv().ok();
            }
        }
        if !batch.is_empty() {
            let committed = commit_together(&mut connection, &mut batch);
            for pending in batch.drain(..) {
                pending.answer(&committed);
            }
        }
        if closing.is_some() {
            break;
        }
    }
    // Refuse what is still waiting, then close: the last connection to close folds the
    // write-ahead log into the file.
    waiting.close();
    drop(waiting);
    if let Err((_, error)) = connection.close() {
        tracing::warn!(error = %error, "closing the SQLite file failed");
    }
    if let Some(done) = closing {
        let _ = done.send(());
    }
}

/// One transaction for the whole batch; an error rolls all of it back (dropping the
/// transaction does).
fn commit_together(
    connection: &mut Connection,
    batch: &mut [Box<dyn PendingWrite>],
) -> Result<(), BackendError> {
    let transaction = connection.transaction().map_err(classify_write)?;
    for pending in batch.iter_mut() {
        pending.apply(&transaction)?;
    }
    transaction.commit().map_err(classify_write)
}
