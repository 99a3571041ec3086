//! How `up` starts each service, in order, each only when it is not running already.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use super::{Ports, Stack, StackError, worker_name};
use crate::nginx;
use crate::ports::is_listening;
use crate::postgres::Postgres;
use crate::process::running_as_root;
use crate::redis;
use crate::repo_root;

impl Stack {
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
            self.fibstack_env(&mut command, &ports);
            self.start(&worker_name(number), command)?;
        }
        self.up_client(ports.client)?;
        self.up_router(&ports)?;
        self.say("waiting for the router to answer");
        let port = self.settings.router_port.to_string();
        self.wait("the router", Duration::from_secs(60), || {
            healthy(&bin, &["--port", &port, "--path", "/api/readyz"])
        })?;
        self.say(&format!("up: http://127.0.0.1:{port} (api under /api)"));
        Ok(())
    }

    fn up_postgres(&self, port: u16) -> Result<(), StackError> {
        let postgres = Postgres::find()?;
        let dir = self.postgres_dir(&postgres)?;
        let data = dir.join("data");
        if !data.is_dir() {
            self.say(&format!(
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
                self.say(&format!(
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

    /// Where the api and workers find Postgres and Redis: this stack's, with no password.
    fn fibstack_env(&self, command: &mut Command, ports: &Ports) {
        command
            .env("PGHOST", "127.0.0.1")
            .env("PGPORT", ports.postgres.to_string())
            .env("PGUSER", "postgres")
            .env("PGDATABASE", "postgres")
            .env("REDIS_HOST", "127.0.0.1")
            .env("REDIS_PORT", ports.redis.to_string())
            .env("HOST", "127.0.0.1")
            .env_remove("PGPASSWORD")
            .env_remove("REDIS_PASSWORD")
            .envs(
                self.settings
                    .service_env
                    .iter()
                    .map(|(name, value)| (name, value)),
            );
    }

    fn up_api(&self, bin: &Path, ports: &Ports) -> Result<(), StackError> {
        let mut command = Command::new(bin);
        command.arg("api").env("PORT", ports.api.to_string());
        self.fibstack_env(&mut command, ports);
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
            self.say("building the web client");
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
