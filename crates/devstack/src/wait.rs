//! Waiting for a condition, with a deadline.

use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
#[error("timed out after {limit:?} waiting for {what}")]
pub struct TimedOut {
    pub what: String,
    pub limit: Duration,
}

/// Polls `check` every 25 ms until it returns `Some`, for up to `limit`.
pub fn wait_until<T>(
    what: &str,
    limit: Duration,
    mut check: impl FnMut() -> Option<T>,
) -> Result<T, TimedOut> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check() {
            return Ok(value);
        }
        if Instant::now() >= deadline {
            return Err(TimedOut {
                what: what.to_owned(),
                limit,
            });
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_condition_that_comes_true_is_waited_for() {
        let mut calls = 0;
        let value = wait_until("the third call", Duration::from_secs(5), || {
            calls += 1;
            (calls == 3).then_some(calls)
        });
        assert_eq!(value.ok(), Some(3));
    }

    #[test]
    fn a_condition_that_never_comes_true_says_what_it_waited_for() {
        let error = wait_until("nothing", Duration::from_millis(60), || None::<()>)
            .expect_err("never true");
        assert!(error.to_string().contains("waiting for nothing"), "{error}");
    }
}
