//! Child processes that are always stopped, and the small process utilities the harness needs.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port nobody listens on right now. The OS could hand it out again before the service binds
/// it, but it does not reuse a just-freed port soon, so in practice this is safe.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("the OS hands out a free loopback port")
}

/// Whether this test runs as root (CI does): Postgres refuses to run as root.
pub fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A running child whose output goes to a log file; killed on drop if still running.
#[derive(Debug)]
pub struct Service {
    name: String,
    child: Child,
    pub log: PathBuf,
}

impl Service {
    pub fn spawn(name: &str, mut command: Command, log: &Path) -> Service {
        let out = File::options()
            .create(true)
            .append(true)
            .open(log)
            .expect("the log file can be created");
        let err = out.try_clone().expect("the log file handle can be cloned");
        command.stdin(Stdio::null()).stdout(out).stderr(err);
        let child = command
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {name}: {error}"));
        Service {
            name: name.to_owned(),
            child,
            log: log.to_owned(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn signal(&self, signal: &str) {
        let _ = Command::new("kill")
            .args([format!("-{signal}"), self.pid().to_string()])
            .status();
    }

    /// SIGKILL, as a crash or the OOM killer would.
    pub fn kill_hard(&mut self) {
        self.signal("KILL");
        let _ = self.child.wait();
    }

    /// Waits for the process to exit by itself, up to `limit`.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Asks politely, then insists.
    pub fn stop(&mut self) {
        if !self.is_running() {
            return;
        }
        self.signal("TERM");
        if self.wait_exit(Duration::from_secs(5)).is_none() {
            self.kill_hard();
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Polls `check` until it returns `Some`, or panics with `what` after `limit`.
pub fn wait_for<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}
