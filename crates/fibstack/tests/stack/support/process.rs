//! The harness's process helpers: fibstack-devstack's (the same `scripts/stack` uses), failing
//! the test where the library returns an error.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

pub use fibstack_devstack::process::Service;

/// Starts `command` as `name`, its output in `log`; stopped when the returned value drops.
pub fn spawn(name: &str, command: Command, log: &Path) -> Service {
    Service::spawn(name, command, log).unwrap_or_else(|error| panic!("{error}"))
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    fibstack_devstack::ports::free_port().expect("the OS hands out a free loopback port")
}

/// Polls `check` until it returns `Some`, or fails the test after `limit`.
pub fn wait_for<T>(what: &str, limit: Duration, check: impl FnMut() -> Option<T>) -> T {
    fibstack_devstack::wait::wait_until(what, limit, check)
        .unwrap_or_else(|error| panic!("{error}"))
}
