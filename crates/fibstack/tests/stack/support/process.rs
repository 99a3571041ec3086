//! The harness's process helpers: fibstack-devstack's (the same `scripts/stack` uses), failing
//! the test where the library returns an error.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

pub use fibstack_devstack::process::Service;

/// Starts `command` as `name`, its output in `log`; stopped when the returned value drops.
pub fn spawn(name: &str, command: Command, log: &Path) -> Service {
    Service::spawn(name, command, log).unwrap_or_else(|error| panic!("{error}"))
}

/// A loopback port nobody listens on right now, and that no test of this run was given before.
///
/// A server a test stops and starts again keeps its port meanwhile: were the port handed to
/// another test's server, the first test's api would reconnect to a database that is not its own
/// and answer from it ("never submitted" instead of 503).
pub fn free_port() -> u16 {
    loop {
        let port =
            fibstack_devstack::ports::free_port().expect("the OS hands out a free loopback port");
        if claim(port) {
            return port;
        }
    }
}

/// Takes `port` for this test, unless a test of this run was given it before.
pub fn claim(port: u16) -> bool {
    static GIVEN: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    GIVEN
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(port)
}

/// Polls `check` until it returns `Some`, or fails the test after `limit`.
pub fn wait_for<T>(what: &str, limit: Duration, check: impl FnMut() -> Option<T>) -> T {
    fibstack_devstack::wait::wait_until(what, limit, check)
        .unwrap_or_else(|error| panic!("{error}"))
}
