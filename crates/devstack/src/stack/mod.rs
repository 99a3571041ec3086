//! The topology of `scripts/stack`: Postgres, Redis, the api, the workers, the client's server
//! and the router as detached processes on loopback, their pids, logs, data and ports in one
//! state folder, so that `up` after `down` (or after a crash of one of them) starts exactly what
//! is missing, on the same ports, with the same data.
//!
//! - [`settings`]: what `scripts/stack` is asked for, from its environment.
//! - [`state`]: the state folder's files, an interface: the fault drill and the benchmarks read
//!   `ports.env` and `<service>.pid`, and follow `<service>.log`.
//! - `services`: how `up` starts each service.
//! - this file: [`Stack`], its commands.

mod services;
pub mod settings;
pub mod state;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::postgres::PostgresError;
use crate::process::{Detached, Stopped};
use crate::repo_root;
use crate::wait::{TimedOut, wait_until};

pub use settings::Settings;
pub use state::{Ports, status_line, worker_name};

/// How long a service has to stop after SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error("port {0} is taken by another program; set STACK_PORT to a free port")]
    RouterPortTaken(u16),
    #[error("{program} is not installed: {install}")]
    NotInstalled {
        program: &'static str,
        install: &'static str,
    },
    #[error("`{0}` failed (see above)")]
    Command(String),
    #[error("{0}; see the logs in {1}")]
    NotUp(TimedOut, PathBuf),
    #[error("{} holds no ports this stack can use: delete it, or run `scripts/stack clean`", .0.display())]
    BadPorts(PathBuf),
    #[error(transparent)]
    Postgres(#[from] PostgresError),
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// A stack's state folder and what is known of it.
#[derive(Debug)]
pub struct Stack {
    settings: Settings,
}

impl Stack {
    pub fn new(settings: Settings) -> Self {
        Self { settings }
    }

    /// Progress on standard error, so standard output carries only what a script may read.
    fn say(&self, message: &str) {
        if !self.settings.quiet {
            eprintln!("stack: {message}");
        }
    }

    pub fn state(&self) -> &Path {
        &self.settings.state
    }

    /// The binary the api and workers were started from: what `down` and `status` know them by.
    pub fn started_bin(&self) -> String {
        fs::read_to_string(self.state().join("fibstack.bin"))
            .map(|text| text.trim().to_owned())
            .unwrap_or_else(|_| "fibstack".to_owned())
    }

    /// The service `name` (`postgres`, `redis`, `api`, `worker`, `worker-2`, `client`, `nginx`).
    pub fn service(&self, name: &str) -> Detached {
        let state = self.state();
        let config = |role: &str| state.join(role).join("nginx.conf").display().to_string();
        let identities = match name {
            "postgres" => vec!["postgres".to_owned()],
            "redis" => vec!["redis-server".to_owned()],
            // Either kind, whichever `up` started: `down` needs no STACK_CLIENT.
            "client" => vec![config("client"), "trunk".to_owned()],
            "nginx" => vec![config("router")],
            _ => vec![self.started_bin()],
        };
        Detached::new(state, name, identities)
    }

    /// The workers this stack has pid files for, in order; `worker` when it has none.
    fn workers_known(&self) -> Vec<String> {
        let mut numbers: Vec<usize> = fs::read_dir(self.state())
            .into_iter()
            .flatten()
            .filter_map(|entry| {
                let name = entry.ok()?.file_name().into_string().ok()?;
                let worker = name.strip_suffix(".pid")?.strip_prefix("worker")?;
                match worker {
                    "" => Some(1),
                    number => number.strip_prefix('-')?.parse().ok(),
                }
            })
            .collect();
        numbers.sort_unstable();
        if numbers.is_empty() {
            numbers.push(1);
        }
        numbers.into_iter().map(worker_name).collect()
    }

    pub fn down(&self) -> Result<(), StackError> {
        let mut order = vec!["nginx".to_owned(), "client".to_owned()];
        order.extend(self.workers_known());
        order.extend(["api", "redis", "postgres"].map(str::to_owned));
        for name in order {
            match self.service(&name).stop(STOP_GRACE) {
                Stopped::NotRunning => {}
                Stopped::Terminated => self.say(&format!("stopped {name}")),
                Stopped::Killed => self.say(&format!(
                    "{name} did not stop in {} s; killed it",
                    STOP_GRACE.as_secs()
                )),
            }
        }
        let postgres_link = self.state().join("postgres");
        let kept = match fs::read_link(&postgres_link) {
            Ok(real) => format!("{} and {}", self.state().display(), real.display()),
            Err(_) => self.state().display().to_string(),
        };
        self.say(&format!(
            "down (data kept in {kept}; delete it for a fresh start)"
        ));
        Ok(())
    }

    /// One line per service, then the router's address while it runs.
    pub fn status(&self) -> Vec<String> {
        let mut names: Vec<String> = ["postgres", "redis", "api", "client", "nginx"]
            .map(str::to_owned)
            .to_vec();
        names.extend(self.workers_known());
        let mut lines: Vec<String> = names
            .iter()
            .map(|name| {
                let service = self.service(name);
                status_line(name, service.pid().filter(|_| service.is_running()))
            })
            .collect();
        let port = fs::read_to_string(self.state().join("router.port"));
        if let (true, Ok(port)) = (self.service("nginx").is_running(), port) {
            lines.push(format!("router    http://127.0.0.1:{}", port.trim()));
        }
        lines
    }

    pub fn clean(&self) -> Result<(), StackError> {
        self.down()?;
        if let Ok(real) = fs::read_link(self.state().join("postgres")) {
            fs::remove_dir_all(real)?;
        }
        match fs::remove_dir_all(self.state()) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error.into()),
            _ => {}
        }
        self.say(&format!("deleted {}", self.state().display()));
        Ok(())
    }

    /// `tail -f` of a service's log.
    pub fn log_follower(&self, name: &str) -> Result<Command, String> {
        let log = self.state().join(format!("{name}.log"));
        if !log.exists() {
            return Err(format!(
                "no log for {name} in {} (services: postgres redis api worker client nginx)",
                self.state().display()
            ));
        }
        let mut command = Command::new("tail");
        command.args(["-n", "50", "-f"]).arg(log);
        Ok(command)
    }

    fn fibstack_binary(&self) -> Result<PathBuf, StackError> {
        if let Some(bin) = &self.settings.fibstack_bin {
            return Ok(bin.clone());
        }
        self.say("building fibstack (release; the first build takes a few minutes)");
        let repo = repo_root();
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
            .current_dir(&repo)
            .args(["build", "--release", "--locked", "-p", "fibstack"])
            .status()?;
        if !status.success() {
            return Err(StackError::Command(
                "cargo build --release --locked -p fibstack".to_owned(),
            ));
        }
        let target =
            std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| repo.join("target"), PathBuf::from);
        Ok(target.join("release/fibstack"))
    }

    /// `built`, recorded as the binary of the api and workers; or, while some of them still run
    /// from an earlier binary, that one: two apis must not race for one port.
    fn binary_to_run(&self, built: PathBuf) -> Result<PathBuf, StackError> {
        let mut running = vec!["api".to_owned()];
        running.extend(self.workers_known());
        if running.iter().any(|name| self.service(name).is_running()) {
            let earlier = PathBuf::from(self.started_bin());
            if earlier != built {
                self.say(&format!(
                    "the api and workers run {}: `scripts/stack down` first to run {}",
                    earlier.display(),
                    built.display()
                ));
            }
            return Ok(earlier);
        }
        fs::write(
            self.state().join("fibstack.bin"),
            format!("{}\n", built.display()),
        )?;
        Ok(built)
    }

    /// The internal ports: those of `ports.env`, picked on the first call.
    pub fn ports(&self) -> Result<Ports, StackError> {
        let file = self.state().join("ports.env");
        if !file.exists() {
            let ports = Ports::pick().ok_or_else(|| StackError::BadPorts(file.clone()))?;
            fs::write(&file, ports.to_env())?;
        }
        Ports::from_env(&fs::read_to_string(&file)?).ok_or(StackError::BadPorts(file))
    }

    /// Starts `command` as the service `name` unless that is running already.
    fn start(&self, name: &str, command: Command) -> Result<(), StackError> {
        let service = self.service(name);
        if let Some(pid) = service.pid().filter(|_| service.is_running()) {
            self.say(&format!("{name} already running (pid {pid})"));
            return Ok(());
        }
        service.start(command)?;
        self.say(&format!("started {name} (log: {})", service.log.display()));
        Ok(())
    }

    fn wait(
        &self,
        what: &str,
        limit: Duration,
        check: impl FnMut() -> Option<()>,
    ) -> Result<(), StackError> {
        wait_until(what, limit, check).map_err(|e| StackError::NotUp(e, self.state().to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workers_known_are_read_from_their_pid_files() {
        let state = tempfile::tempdir().expect("temp dir");
        let stack = Stack::new(Settings {
            state: state.path().to_owned(),
            router_port: 3050,
            workers: 1,
            client_dev: false,
            client_build: false,
            fibstack_bin: None,
            rate_limit_rps: "0".to_owned(),
            service_env: Vec::new(),
            quiet: true,
        });
        assert_eq!(stack.workers_known(), ["worker"]);
        for name in ["worker-10", "worker", "worker-2", "api"] {
            fs::write(state.path().join(format!("{name}.pid")), "1").expect("write");
        }
        assert_eq!(stack.workers_known(), ["worker", "worker-2", "worker-10"]);
    }
}
