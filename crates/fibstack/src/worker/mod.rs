//! The worker role: take a job, compute F(n), store it, repeat — from Redis, or from the
//! embedded store in the all-in-one process (the same loop, through [`JobSource`]).
//!
//! # Shape
//! [`run`] is the loop; `step::process_batch` handles the jobs taken together and returns an
//! [`Outcome`] for each, which the loop logs. Jobs waiting together are taken together, up to
//! the first large one: small ones are computed in place and stored in one write, so a flood of
//! small jobs costs a round trip per batch, not two per job. Waiting for a job is a blocking
//! stream read raced against the shutdown token, never sleep-and-poll. Large computations run
//! on the blocking thread pool, so they cannot stall the keep-alives that stop other workers
//! from taking the job over. Meanwhile the worker reports its recent work to the roster every
//! second (`tally`), for the system view.

mod metrics;
mod serve;
mod step;
mod tally;

use std::sync::Arc;
use std::time::Duration;

use fibstack_core::BackendError;
use fibstack_core::backoff::Backoff;
use fibstack_core::roster::Roster;
use fibstack_core::store::{JobSource, QueuePolicy};
use tokio_util::sync::CancellationToken;

use crate::presence;
use crate::telemetry::error_chain;

pub use metrics::WorkerMetrics;
pub use serve::MetricsServer;
pub use step::Outcome;
use tally::{Tally, WaitingFlag};

/// A name for a worker, unique across processes: it names the worker's Redis consumer and its
/// place in the roster.
pub fn unique_name() -> String {
    presence::unique_name("worker")
}

/// Runs until the shutdown token is cancelled; the job in hand is finished first. Reports to
/// `roster` every second meanwhile, and leaves it on the way out.
pub async fn run(
    mut jobs: Box<dyn JobSource>,
    queue: QueuePolicy,
    metrics: WorkerMetrics,
    roster: Arc<dyn Roster>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let rules = step::Rules::from(&queue);
    let consumer = jobs.worker_name().to_owned();
    tracing::info!(%consumer, "worker started");
    let (tally, waiting) = (Tally::default(), WaitingFlag::default());
    // Stops after the loop, whichever way it ends: a worker that is not working is not listed.
    let stop_reporting = CancellationToken::new();
    let _stop_reporting_on_return = stop_reporting.clone().drop_guard();
    let reporting = tokio::spawn(presence::report_until_stopped(
        roster,
        consumer.clone(),
        tally.clone().reporter(waiting.clone()),
        stop_reporting.clone(),
    ));
    // Between attempts to read jobs while the queue is away.
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
    loop {
        let next = tokio::select! {
            () = shutdown.cancelled() => break,
            next = jobs.next_batch(step::IN_PLACE_BELOW) => next,
        };
        match next {
            Ok(batch) => {
                backoff.reset();
                metrics.set_waiting_for_queue(false);
                waiting.set(false);
                for delivered in step::process_batch(jobs.as_ref(), rules, batch).await {
                    delivered.log();
                    metrics.record(&delivered.outcome);
                    tally.record(&delivered.outcome);
                }
            }
            // A refusal (TLS, certificate, login) is not waited out: stop, saying what to fix.
            Err(error @ BackendError::Refused { .. }) => {
                tracing::error!(error = %error_chain(&error), "stopping: the queue refuses this worker");
                return Err(anyhow::Error::new(error));
            }
            Err(error) => {
                metrics.set_waiting_for_queue(true);
                waiting.set(true);
                let delay = backoff.next_delay();
                tracing::warn!(error = %error_chain(&error), retry_in = ?delay, "cannot read jobs; waiting for the queue");
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(delay) => {}
                }
            }
        }
    }
    stop_reporting.cancel();
    if let Err(error) = reporting.await {
        tracing::debug!(%error, "the roster reporter panicked");
    }
    tracing::info!(%consumer, "worker stopped");
    Ok(())
}
