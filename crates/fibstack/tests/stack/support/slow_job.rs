//! A worker killed while it computes: the drill several suites run on their own Redis (plain,
//! TLS, cluster), so each proves the killed worker's job is reclaimed and computed once more.

use std::time::Duration;

use super::TestStack;
use super::process::wait_for;

/// F(30 000 000) takes a good second: long enough to be sure the worker is inside it.
pub const SLOW_INDEX: u64 = 30_000_000;
/// The number of decimal digits of F(30 000 000).
pub const SLOW_DIGITS: u64 = 6_269_629;

/// The settings the drill needs: the slow index allowed, and a dead worker's job reclaimed after
/// one second instead of the default half minute.
pub fn slow_job_env() -> Vec<(&'static str, String)> {
    vec![
        ("FIB_RECLAIM_IDLE_MS", "1000".to_owned()),
        ("FIB_MAX_INDEX", "100000000".to_owned()),
    ]
}

impl TestStack {
    /// Submits the slow job, waits until the first worker has taken it, and SIGKILLs that
    /// worker while it computes.
    pub fn kill_the_worker_inside_the_slow_job(&mut self) {
        const PATIENCE: Duration = Duration::from_secs(30);
        assert_eq!(self.submit(SLOW_INDEX).status, 200);
        wait_for("the worker to take the slow job", PATIENCE, || {
            (self.redis().pending_jobs() == 1).then_some(())
        });
        self.workers[0].kill_hard();
    }

    /// Waits for the slow job's value (another worker must have reclaimed it) and checks it.
    pub fn wait_slow_job_done(&self) {
        let detail = self.wait_done(SLOW_INDEX, Duration::from_secs(60));
        assert_eq!(detail["digits"], SLOW_DIGITS, "F(3e7) has 6 269 629 digits");
    }
}
