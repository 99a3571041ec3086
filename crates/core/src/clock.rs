//! [`Clock`]: where a store reads the time, so that tests of deadlines (a job's claim running
//! out, a failure remembered for a while, the oldest value evicted first) move the time instead
//! of sleeping through it.

use std::time::SystemTime;

/// The current time, as a store sees it.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> SystemTime;
}

/// The system's wall clock: what every store runs on outside tests.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that stands still until a test moves it (feature `testing`).
#[cfg(any(test, feature = "testing"))]
#[derive(Debug)]
pub struct ManualClock(std::sync::Mutex<SystemTime>);

#[cfg(any(test, feature = "testing"))]
impl ManualClock {
    /// Stopped at the present moment.
    pub fn new() -> Self {
        ManualClock(std::sync::Mutex::new(SystemTime::now()))
    }

    /// Moves the time on by `by`.
    pub fn advance(&self, by: std::time::Duration) {
        let mut now = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += by;
    }
}

#[cfg(any(test, feature = "testing"))]
impl Default for ManualClock {
    fn default() -> Self {
        ManualClock::new()
    }
}

#[cfg(any(test, feature = "testing"))]
impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let clock = ManualClock::new();
        let start = clock.now();
        assert_eq!(clock.now(), start);
        clock.advance(Duration::from_millis(150));
        assert_eq!(clock.now(), start + Duration::from_millis(150));
    }
}
