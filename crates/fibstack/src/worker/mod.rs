//! The worker role: take a job, compute F(n), store it, repeat.
//!
//! # Shape
//! [`run`] is the loop; [`step::process`] handles one delivery and returns an [`Outcome`], which
//! the loop logs. Waiting for a job is a blocking stream read raced against the shutdown token,
//! never sleep-and-poll. The arithmetic runs on the blocking thread pool, so a long computation
//! cannot stall the keep-alives that stop other workers from taking the job over.

mod step;

use std::time::Duration;

use fibstack_core::IndexPolicy;
use fibstack_redis::{JobStream, JobStreamSettings, RedisConfig};
use tokio_util::sync::CancellationToken;

pub use step::Outcome;

use crate::config::QueueSettings;

/// Everything the worker needs, read from the environment by the caller.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub policy: IndexPolicy,
    pub redis: RedisConfig,
    pub queue: QueueSettings,
}

/// Longest single wait for a new job.
const BLOCK: Duration = Duration::from_secs(5);

/// Runs until the shutdown token is cancelled; the job in hand is finished first.
pub async fn run(settings: WorkerSettings, shutdown: CancellationToken) -> anyhow::Result<()> {
    let consumer = format!("worker-{}-{}", std::process::id(), short_id());
    let stream_settings = JobStreamSettings {
        consumer: consumer.clone(),
        block: BLOCK,
        reclaim_idle: settings.queue.reclaim_idle,
        max_deliveries: settings.queue.max_deliveries,
        failure_memory: settings.queue.failure_memory,
        cache_budget: settings.queue.cache_bytes,
    };
    let mut jobs = JobStream::new(settings.redis, stream_settings, settings.policy)?;
    tracing::info!(%consumer, "worker started");
    let mut backoff = Backoff::default();
    loop {
        let next = tokio::select! {
            () = shutdown.cancelled() => break,
            next = next_job(&mut jobs) => next,
        };
        match next {
            Ok(Some(job)) => {
                backoff.reset();
                step::process(&jobs, job).await.log();
            }
            Ok(None) => backoff.reset(),
            Err(error) => {
                let delay = backoff.next();
                tracing::warn!(%error, retry_in = ?delay, "cannot read jobs; waiting for Redis");
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(delay) => {}
                }
            }
        }
    }
    tracing::info!(%consumer, "worker stopped");
    Ok(())
}

/// Joins the group on first use (and after a Redis wipe, see `JobStream::next`).
async fn next_job(
    jobs: &mut JobStream,
) -> Result<Option<fibstack_redis::Job>, fibstack_core::BackendError> {
    jobs.join().await?;
    jobs.next().await
}

fn short_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..8].to_owned()
}

/// Doubling delays between reconnection attempts, from 100 ms to 5 s.
#[derive(Debug)]
struct Backoff(Duration);

impl Default for Backoff {
    fn default() -> Self {
        Backoff(Duration::from_millis(100))
    }
}

impl Backoff {
    fn next(&mut self) -> Duration {
        let delay = self.0;
        self.0 = (self.0 * 2).min(Duration::from_secs(5));
        delay
    }

    fn reset(&mut self) {
        *self = Backoff::default();
    }
}
