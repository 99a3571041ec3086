//! Each api replica and worker tells the roster it is there, every second, and leaves it when it
//! stops cleanly: the members the system view lists. A killed process cannot leave; it falls
//! silent, and the view says so.

use std::sync::Arc;
use std::time::Duration;

use fibstack_core::roster::{REPORT_EVERY, Report, Roster};
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

/// How long a stopping member waits to leave the roster.
const LEAVE_DEADLINE: Duration = Duration::from_secs(1);

/// A name for a member, unique across processes and hosts (a container's pid is always 1).
pub fn unique_name(role: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{role}-{}-{}", std::process::id(), &id[..8])
}

/// Reports what `next_report` says every [`REPORT_EVERY`] until `stop`, then leaves.
pub async fn report_until_stopped(
    roster: Arc<dyn Roster>,
    name: String,
    mut next_report: impl FnMut() -> Report + Send,
    stop: CancellationToken,
) {
    let mut ticks = tokio::time::interval(REPORT_EVERY);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            _ = ticks.tick() => {}
        }
        // The roles log it already when the queue is away; here it would repeat every second.
        if let Err(error) = roster.report(&name, &next_report()).await {
            tracing::debug!(%error, "cannot report to the roster");
        }
    }
    // Bounded: a roster that is away must not hold up the process's exit. A member that could
    // not leave shows silent, then is forgotten.
    match tokio::time::timeout(LEAVE_DEADLINE, roster.leave(&name)).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::debug!(%error, "cannot leave the roster"),
        Err(_) => tracing::debug!("the roster did not answer in time to leave it"),
    }
}
