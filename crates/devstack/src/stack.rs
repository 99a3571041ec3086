//! The topology of `scripts/stack`: Postgres, Redis, the api, the workers, the client's server
//! and the router as detached processes on loopback, their pids, logs, data and ports in one
//! state folder, so that `up` after `down` (or after a crash of one of them) starts exactly what
//! is missing, on the same ports, with the same data.
//!
//! The state folder's files are an interface: the fault drill and the benchmarks read
//! `ports.env` and `<service>.pid`, and follow `<service>.log`.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use crate::nginx;
use crate::ports::{first_free_from, is_listening};
use crate::postgres::{Postgres, PostgresError};
use crate::process::{Detached, Stopped, running_as_root};
use crate::redis;
use crate::repo_root;
use crate::wait::{TimedOut, wait_until};

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

/// What `scripts/stack` is asked for, from its environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `STACK_DIR`, or `.stack` in the checkout.
    pub state: PathBuf,
    /// `STACK_PORT`: the router's, the one port a user opens.
    pub router_port: u16,
    /// `STACK_WORKERS`.
    pub workers: usize,
    /// `STACK_CLIENT=dev`: the client from `trunk serve`, with live reload.
    pub client_dev: bool,
    /// Not `CLIENT_BUILD=0`: rebuild the client's bundle when its sources are newer.
    pub client_build: bool,
    /// `FIBSTACK_BIN`: run this binary instead of building one.
    pub fibstack_bin: Option<PathBuf>,
    /// `RATE_LIMIT_RPS` for the router.
    pub rate_limit_rps: String,
}

impl Settings {
    pub fn from_env() -> Result<Self, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        let number = |name: &str, default: usize| match var(name) {
            None => Ok(default),
            Some(text) => text
                .parse()
                .map_err(|_| format!("{name}={text} is not a whole number")),
        };
        let router_port = u16::try_from(number("STACK_PORT", 3050)?)
            .ok()
            .filter(|port| *port > 0)
            .ok_or("STACK_PORT must be a port, 1 to 65535")?;
        let workers = number("STACK_WORKERS", 1)?;
        if workers == 0 {
            return Err("STACK_WORKERS must be at least 1".to_owned());
        }
        Ok(Self {
            state: var("STACK_DIR").map_or_else(|| repo_root().join(".stack"), PathBuf::from),
            router_port,
            workers,
            client_dev: var("STACK_CLIENT").as_deref() == Some("dev"),
            client_build: var("CLIENT_BUILD").as_deref() != Some("0"),
            fibstack_bin: var("FIBSTACK_BIN").map(PathBuf::from),
            rate_limit_rps: var("RATE_LIMIT_RPS").unwrap_or_else(|| "20".to_owned()),
        })
    }
}

/// The internal ports, picked once on the first `up` and kept in `ports.env`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ports {
    pub postgres: u16,
    pub redis: u16,
    pub api: u16,
    pub client: u16,
}

impl Ports {
    const NAMES: [&str; 4] = ["PG_PORT", "REDIS_PORT", "API_PORT", "CLIENT_PORT"];

    /// Shell syntax: the drill and the benchmarks `source` it.
    pub fn to_env(self) -> String {
        let values = [self.postgres, self.redis, self.api, self.client];
        Self::NAMES
            .iter()
            .zip(values)
            .map(|(name, port)| format!("{name}={port}\n"))
            .collect()
    }

    pub fn from_env(text: &str) -> Option<Self> {
        let port = |wanted: &str| {
            text.lines()
                .find_map(|line| line.strip_prefix(wanted)?.strip_prefix('='))
                .and_then(|value| value.trim().parse().ok())
        };
        Some(Self {
            postgres: port(Self::NAMES[0])?,
            redis: port(Self::NAMES[1])?,
            api: port(Self::NAMES[2])?,
            client: port(Self::NAMES[3])?,
        })
    }

    fn pick() -> Option<Self> {
        Some(Self {
            postgres: first_free_from(15432)?,
            redis: first_free_from(16379)?,
            api: first_free_from(15000)?,
            client: first_free_from(13000)?,
        })
    }
}

/// `worker`, `worker-2`, …: the first keeps the plain name the single-worker stack has always had.
pub fn worker_name(number: usize) -> String {
    if number == 1 {
        "worker".to_owned()
    } else {
        format!("worker-{number}")
    }
}

/// One line of `status`.
pub fn status_line(name: &str, pid: Option<u32>) -> String {
    match pid {
        Some(pid) => format!("{name:<9} running  pid {pid}"),
        None => format!("{name:<9} stopped"),
    }
}

/// Progress on standard error, so standard output carries only what a script may read.
fn say(message: &str) {
    eprintln!("stack: {message}");
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

    fn state(&self) -> &Path {
        &self.settings.state
    }

    /// The binary the api and workers were started from: what `down` and `status` know them by.
    fn started_bin(&self) -> String {
        fs::read_to_string(self.state().join("fibstack.bin"))
            .map(|text| text.trim().to_owned())
            .unwrap_or_else(|_| "fibstack".to_owned())
    }

    fn service(&self, name: &str) -> Detached {
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

    pub fn up(&self) -> Result<(), StackError> {
        fs::create_dir_all(self.state())?;
        let router = self.service("nginx");
        if is_listening(self.settings.router_port) && !router.is_running() {
            return Err(StackError::RouterPortTaken(self.settings.router_port));
        }
        let bin = self.binary_to_run(self.fibstack_binary()?)?;
        let ports = self.ports()?;
        self.up_postgres(ports.postgres)?;
        self.up_redis(ports.redis)?;
        self.up_api(&bin, &ports)?;
        for number in 1..=self.settings.workers {
            let mut command = Command::new(&bin);
            command.arg("worker");
            fibstack_env(&mut command, &ports);
            self.start(&worker_name(number), command)?;
        }
        self.up_client(ports.client)?;
        self.up_router(&ports)?;
        say("waiting for the router to answer");
        let port = self.settings.router_port.to_string();
        self.wait("the router", Duration::from_secs(60), || {
            healthy(&bin, &["--port", &port, "--path", "/api/readyz"])
        })?;
        say(&format!("up: http://127.0.0.1:{port} (api under /api)"));
        Ok(())
    }

    pub fn down(&self) -> Result<(), StackError> {
        let mut order = vec!["nginx".to_owned(), "client".to_owned()];
        order.extend(self.workers_known());
        order.extend(["api", "redis", "postgres"].map(str::to_owned));
        for name in order {
            match self.service(&name).stop(STOP_GRACE) {
                Stopped::NotRunning => {}
                Stopped::Terminated => say(&format!("stopped {name}")),
                Stopped::Killed => say(&format!(
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
        say(&format!(
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
        say(&format!("deleted {}", self.state().display()));
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
        say("building fibstack (release; the first build takes a few minutes)");
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
                say(&format!(
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

    fn ports(&self) -> Result<Ports, StackError> {
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
            say(&format!("{name} already running (pid {pid})"));
            return Ok(());
        }
        service.start(command)?;
        say(&format!("started {name} (log: {})", service.log.display()));
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

    fn up_postgres(&self, port: u16) -> Result<(), StackError> {
        let postgres = Postgres::find()?;
        let dir = self.postgres_dir(&postgres)?;
        let data = dir.join("data");
        if !data.is_dir() {
            say(&format!(
                "creating the Postgres cluster in {}",
                data.display()
            ));
            postgres.initdb(&data)?;
        }
        self.start("postgres", postgres.server(&data, port, &dir, &[]))?;
        self.wait("Postgres", Duration::from_secs(30), || {
            postgres.is_ready(port).then_some(())
        })
    }

    /// `<state>/postgres`, or, when the postgres user cannot reach the state folder (a checkout
    /// under /root, a private temp dir), a folder under /var/tmp linked from there. The real
    /// path: Postgres must not have to pass through the state folder.
    fn postgres_dir(&self, postgres: &Postgres) -> Result<PathBuf, StackError> {
        let link = self.state().join("postgres");
        if !link.exists() {
            if running_as_root() && !postgres.owner_can_reach(self.state()) {
                let real = tempfile::Builder::new()
                    .prefix("fibstack-postgres-")
                    .tempdir_in("/var/tmp")?
                    .keep();
                std::os::unix::fs::symlink(&real, &link)?;
                say(&format!(
                    "the postgres user cannot reach {}; its data lives in {}",
                    self.state().display(),
                    real.display()
                ));
            } else {
                fs::create_dir_all(&link)?;
            }
            postgres.hand_over(&link.canonicalize()?)?;
        }
        Ok(link.canonicalize()?)
    }

    fn up_redis(&self, port: u16) -> Result<(), StackError> {
        if !redis::is_installed() {
            return Err(StackError::NotInstalled {
                program: "Redis",
                install: "apt-get install redis-server",
            });
        }
        let dir = self.state().join("redis");
        fs::create_dir_all(&dir)?;
        let mut command = redis::server(&dir);
        // Append-only: queued jobs and values survive `down` and `up`.
        command
            .args(["--port", &port.to_string()])
            .args(["--appendonly", "yes", "--save", ""])
            .args(["--maxmemory", "256mb", "--maxmemory-policy", "noeviction"]);
        self.start("redis", command)?;
        self.wait("Redis", Duration::from_secs(10), || {
            redis::answers_ping(port).then_some(())
        })
    }

    fn up_api(&self, bin: &Path, ports: &Ports) -> Result<(), StackError> {
        let mut command = Command::new(bin);
        command.arg("api").env("PORT", ports.api.to_string());
        fibstack_env(&mut command, ports);
        self.start("api", command)?;
        let port = ports.api.to_string();
        self.wait("the api", Duration::from_secs(30), || {
            healthy(bin, &["--port", &port])
        })
    }

    fn up_client(&self, port: u16) -> Result<(), StackError> {
        let repo = repo_root();
        if self.settings.client_dev {
            let mut command = Command::new("trunk");
            command.current_dir(repo.join("client")).args([
                "serve",
                "--address",
                "127.0.0.1",
                "--port",
                &port.to_string(),
            ]);
            return match self.start("client", command) {
                Err(StackError::Io(error)) if error.kind() == io::ErrorKind::NotFound => {
                    Err(StackError::NotInstalled {
                        program: "trunk",
                        install: "cargo install trunk --version 0.21.14 --locked",
                    })
                }
                started => started,
            };
        }
        if !nginx::is_installed() {
            return Err(StackError::NotInstalled {
                program: "nginx",
                install: "apt-get install nginx",
            });
        }
        if self.settings.client_build && client_needs_build(&repo) {
            say("building the web client");
            let status = Command::new(repo.join("scripts/build-client"))
                .stdout(io::stderr())
                .status()?;
            if !status.success() {
                return Err(StackError::Command("scripts/build-client".to_owned()));
            }
        }
        let dir = self.state().join("client");
        let listen = vec![("LISTEN_PORT", format!("127.0.0.1:{port}"))];
        nginx::render("client", &dir, Some(&nginx::client_root()), &listen)?;
        self.start("client", nginx::server(&dir))
    }

    fn up_router(&self, ports: &Ports) -> Result<(), StackError> {
        let dir = self.state().join("router");
        let vars = vec![
            ("API_UPSTREAM", format!("127.0.0.1:{}", ports.api)),
            ("CLIENT_UPSTREAM", format!("127.0.0.1:{}", ports.client)),
            (
                "LISTEN_PORT",
                format!("127.0.0.1:{}", self.settings.router_port),
            ),
            ("RATE_LIMIT_RPS", self.settings.rate_limit_rps.clone()),
        ];
        nginx::render("router", &dir, None, &vars)?;
        self.start("nginx", nginx::server(&dir))?;
        fs::write(
            self.state().join("router.port"),
            format!("{}\n", self.settings.router_port),
        )?;
        Ok(())
    }
}

/// Where the api and workers find Postgres and Redis: this stack's, with no password.
fn fibstack_env(command: &mut Command, ports: &Ports) {
    command
        .env("PGHOST", "127.0.0.1")
        .env("PGPORT", ports.postgres.to_string())
        .env("PGUSER", "postgres")
        .env("PGDATABASE", "postgres")
        .env("REDIS_HOST", "127.0.0.1")
        .env("REDIS_PORT", ports.redis.to_string())
        .env("HOST", "127.0.0.1")
        .env_remove("PGPASSWORD")
        .env_remove("REDIS_PASSWORD");
}

/// `fibstack healthcheck ARGS`: the binary's own probe, as the containers use it.
fn healthy(bin: &Path, args: &[&str]) -> Option<()> {
    Command::new(bin)
        .arg("healthcheck")
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
        .then_some(())
}

/// Whether `client/dist` is missing or older than a source of the client.
fn client_needs_build(repo: &Path) -> bool {
    let built = fs::metadata(repo.join("client/dist/index.html")).and_then(|meta| meta.modified());
    let Ok(built) = built else { return true };
    [
        repo.join("crates/client"),
        repo.join("crates/core/src"),
        repo.join("client/index.html"),
    ]
    .iter()
    .any(|source| newer_than(source, built))
}

fn newer_than(path: &Path, time: SystemTime) -> bool {
    let Ok(meta) = fs::metadata(path) else {
        return false;
    };
    if meta.is_dir() {
        fs::read_dir(path)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .any(|entry| newer_than(&entry.path(), time))
    } else {
        meta.modified().is_ok_and(|modified| modified > time)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_survive_the_file_the_scripts_source() {
        let ports = Ports {
            postgres: 15432,
            redis: 16379,
            api: 15000,
            client: 13000,
        };
        assert_eq!(
            ports.to_env(),
            "PG_PORT=15432\nREDIS_PORT=16379\nAPI_PORT=15000\nCLIENT_PORT=13000\n"
        );
        assert_eq!(Ports::from_env(&ports.to_env()), Some(ports));
    }

    #[test]
    fn a_ports_file_missing_a_port_is_not_used() {
        assert_eq!(
            Ports::from_env("PG_PORT=15432\nREDIS_PORT=16379\nAPI_PORT=15000\n"),
            None
        );
        assert_eq!(
            Ports::from_env("PG_PORT=x\nREDIS_PORT=1\nAPI_PORT=2\nCLIENT_PORT=3\n"),
            None
        );
    }

    #[test]
    fn workers_are_named_as_the_single_worker_stack_named_its_one() {
        assert_eq!(worker_name(1), "worker");
        assert_eq!(worker_name(3), "worker-3");
    }

    #[test]
    fn status_lines_line_up() {
        assert_eq!(status_line("api", Some(42)), "api       running  pid 42");
        assert_eq!(status_line("worker-2", None), "worker-2  stopped");
    }

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
        });
        assert_eq!(stack.workers_known(), ["worker"]);
        for name in ["worker-10", "worker", "worker-2", "api"] {
            fs::write(state.path().join(format!("{name}.pid")), "1").expect("write");
        }
        assert_eq!(stack.workers_known(), ["worker", "worker-2", "worker-10"]);
    }
}
