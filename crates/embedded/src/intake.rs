//! Taking submissions in: those that arrive while the previous group is being written go in
//! together, as one write of the store (two or three statements for the whole group), so a
//! submission costs a share of a few statements instead of a few of its own.
//!
//! Each submission is answered once the commit holding its group has returned (the writer's
//! rule), with the queue's decision for it, made in order as if they had come one by one.

use std::sync::Arc;

use fibstack_core::clock::Clock;
use fibstack_core::store::Enqueued;
use fibstack_core::trace::TraceParent;
use fibstack_core::{BackendError, FibIndex};
use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use crate::store::to_ms;
use crate::submissions::insert_submissions;
use crate::values::enqueue_all;
use crate::writer::{GroupWriter, store_closed};

/// Submissions in one group, at most.
const MAX_GROUP: usize = 256;
/// Submissions waiting for a group; past it, requests wait to hand theirs over.
const WAITING: usize = 4096;

struct Pending {
    index: FibIndex,
    trace: Option<TraceParent>,
    reply: oneshot::Sender<Result<Enqueued, BackendError>>,
}

/// Hands submissions to the grouping task. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct SubmissionGroups {
    queue: mpsc::Sender<Pending>,
}

impl SubmissionGroups {
    /// Starts the grouping task on the current runtime; groups are written through `writes`.
    pub(crate) fn start(
        writes: GroupWriter,
        queue_limit: u64,
        clock: Arc<dyn Clock>,
    ) -> SubmissionGroups {
        let (queue, waiting) = mpsc::channel(WAITING);
        tokio::spawn(take_in_groups(writes, queue_limit, clock, waiting));
        SubmissionGroups { queue }
    }

    /// Queues the job (unless the queue decides otherwise) and records the submission (unless
    /// the queue is full); returns the queue's decision once both are committed.
    pub(crate) async fn submit(
        &self,
        index: FibIndex,
        trace: Option<TraceParent>,
    ) -> Result<Enqueued, BackendError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Pending {
                index,
                trace,
                reply,
            })
            .await
            .map_err(|_| store_closed())?;
        answer.await.map_err(|_| store_closed())?
    }
}

async fn take_in_groups(
    writes: GroupWriter,
    queue_limit: u64,
    clock: Arc<dyn Clock>,
    mut waiting: mpsc::Receiver<Pending>,
) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while waiting.recv_many(&mut group, MAX_GROUP).await > 0 {
        let indexes: Vec<FibIndex> = group.iter().map(|pending| pending.index).collect();
        let traces: Vec<Option<TraceParent>> = group.iter().map(|pending| pending.trace).collect();
        let now = to_ms(clock.now());
        let written = writes
            .write(move |connection| {
                queue_and_record(connection, indexes, &traces, queue_limit, now)
            })
            .await;
        match written {
            Ok(outcomes) => {
                for (pending, outcome) in group.drain(..).zip(outcomes) {
                    // A request that gave up (its client went away) no longer listens.
                    let _ = pending.reply.send(Ok(outcome));
                }
            }
            Err(error) => {
                for pending in group.drain(..) {
                    let _ = pending.reply.send(Err(error.for_another_caller()));
                }
            }
        }
    }
}

/// The group's jobs, then its history rows (all but those the full queue refused).
fn queue_and_record(
    connection: &Connection,
    indexes: Vec<FibIndex>,
    traces: &[Option<TraceParent>],
    queue_limit: u64,
    now: i64,
) -> Result<Vec<Enqueued>, BackendError> {
    let outcomes = enqueue_all(connection, &indexes, traces, queue_limit, now)?;
    let recorded: Vec<FibIndex> = indexes
        .into_iter()
        .zip(&outcomes)
        .filter(|(_, outcome)| **outcome != Enqueued::QueueFull)
        .map(|(index, _)| index)
        .collect();
    if !recorded.is_empty() {
        insert_submissions(connection, &recorded, now)?;
    }
    Ok(outcomes)
}
