//! Processes: owned children that stop with their owner, and detached services that outlive
//! the command that started them.

use std::fs::{self, File};
use std::io;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Sends `signal` (a name: `TERM`, `KILL`, `INT`, `STOP`, `CONT`) to `pid`, through `kill(1)`.
pub fn signal(pid: u32, signal: &str) -> bool {
    Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Whether this runs as root (CI does): Postgres refuses to run as root.
pub fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// Standard output and error to `log` (appended), standard input closed.
fn log_to(command: &mut Command, log: &Path) -> io::Result<()> {
    let out = File::options().create(true).append(true).open(log)?;
    let err = out.try_clone()?;
    command.stdin(Stdio::null()).stdout(out).stderr(err);
    Ok(())
}

/// A running child whose output goes to a log file; stopped on drop if still running.
#[derive(Debug)]
pub struct Service {
    name: String,
    child: Child,
    pub log: PathBuf,
}

impl Service {
    pub fn spawn(name: &str, mut command: Command, log: &Path) -> io::Result<Service> {
        log_to(&mut command, log)?;
        let child = command.spawn().map_err(|error| {
            io::Error::new(error.kind(), format!("cannot start {name}: {error}"))
        })?;
        Ok(Service {
            name: name.to_owned(),
            child,
            log: log.to_owned(),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn signal(&self, name: &str) {
        signal(self.pid(), name);
    }

    /// SIGKILL, as a crash or the OOM killer would.
    pub fn kill_hard(&mut self) {
        self.signal("KILL");
        let _ = self.child.wait();
    }

    /// Waits for the process to exit by itself, up to `limit`.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
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
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Asks politely, then insists.
    pub fn stop(&mut self) {
        self.stop_with("TERM", Duration::from_secs(5));
    }

    /// Sends `signal` (a server's own way of shutting down, such as Postgres's `INT`), then
    /// SIGKILL if it is still running after `grace`.
    pub fn stop_with(&mut self, signal: &str, grace: Duration) {
        if !self.is_running() {
            return;
        }
        self.signal(signal);
        if self.wait_exit(grace).is_none() {
            self.kill_hard();
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A service that outlives the command that started it: its pid in `<dir>/<name>.pid`, its
/// output in `<dir>/<name>.log`. It is running when that pid is alive and its command line
/// still contains one of its identities (a recycled pid is not ours).
#[derive(Debug, Clone)]
pub struct Detached {
    pub name: String,
    pub pid_file: PathBuf,
    pub log: PathBuf,
    identities: Vec<String>,
}

/// What [`Detached::stop`] found and did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    NotRunning,
    Terminated,
    /// It ignored SIGTERM for the whole grace period.
    Killed,
}

impl Detached {
    pub fn new<I: Into<String>>(
        dir: &Path,
        name: &str,
        identities: impl IntoIterator<Item = I>,
    ) -> Self {
        Self {
            name: name.to_owned(),
            pid_file: dir.join(format!("{name}.pid")),
            log: dir.join(format!("{name}.log")),
            identities: identities.into_iter().map(Into::into).collect(),
        }
    }

    pub fn pid(&self) -> Option<u32> {
        fs::read_to_string(&self.pid_file).ok()?.trim().parse().ok()
    }

    pub fn is_running(&self) -> bool {
        self.pid().is_some_and(|pid| {
            // A zombie's command line is empty: it does not count as running.
            fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmdline| {
                let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
                self.identities
                    .iter()
                    .any(|identity| cmdline.contains(identity))
            })
        })
    }

    /// Starts `command` in a process group of its own (a Ctrl-C in the terminal that ran `up`
    /// does not reach it) and records its pid. The command must exec the service itself, not
    /// a shell around it, so that the pid is the service's.
    pub fn start(&self, mut command: Command) -> io::Result<u32> {
        log_to(&mut command, &self.log)?;
        command.process_group(0);
        let child = command.spawn().map_err(|error| {
            io::Error::new(error.kind(), format!("cannot start {}: {error}", self.name))
        })?;
        let pid = child.id();
        fs::write(&self.pid_file, format!("{pid}\n"))?;
        // Dropping a Child neither kills nor waits: the service runs on after this exits.
        drop(child);
        Ok(pid)
    }

    /// SIGTERM, then SIGKILL if it is still running after `grace`; forgets the pid either way.
    pub fn stop(&self, grace: Duration) -> Stopped {
        let outcome = match self.pid().filter(|_| self.is_running()) {
            None => Stopped::NotRunning,
            Some(pid) => {
                signal(pid, "TERM");
                let deadline = Instant::now() + grace;
                while self.is_running() && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(50));
                }
                if self.is_running() {
                    signal(pid, "KILL");
                    Stopped::Killed
                } else {
                    Stopped::Terminated
                }
            }
        };
        let _ = fs::remove_file(&self.pid_file);
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_detached_service_runs_on_until_stopped() {
        let dir = tempfile::tempdir().expect("temp dir");
        let sleeper = Detached::new(dir.path(), "sleeper", ["sleep 3600"]);
        assert!(!sleeper.is_running());
        let mut command = Command::new("sleep");
        command.arg("3600");
        let pid = sleeper.start(command).expect("sleep starts");
        assert_eq!(sleeper.pid(), Some(pid));
        // Between fork and exec the child's command line is still this test's.
        crate::wait::wait_until("sleep to run", Duration::from_secs(5), || {
            sleeper.is_running().then_some(())
        })
        .expect("the service runs");
        assert_eq!(sleeper.stop(Duration::from_secs(5)), Stopped::Terminated);
        assert!(!sleeper.is_running());
        assert!(!sleeper.pid_file.exists());
        assert_eq!(sleeper.stop(Duration::from_secs(5)), Stopped::NotRunning);
    }

    #[test]
    fn a_pid_that_now_belongs_to_another_program_is_not_ours() {
        let dir = tempfile::tempdir().expect("temp dir");
        let service = Detached::new(dir.path(), "redis", ["redis-server"]);
        // This test's own pid: alive, but not a redis-server.
        fs::write(&service.pid_file, std::process::id().to_string()).expect("write");
        assert!(!service.is_running());
        assert_eq!(service.stop(Duration::from_secs(1)), Stopped::NotRunning);
    }
}
