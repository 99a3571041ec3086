//! A whole app for one test, on either backend: Postgres, Redis, the api, workers and optionally
//! the router as separate processes; or one `fibstack all` process on its embedded store.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use fibstack::config::{POSTGRES_VARIABLES, REDIS_VARIABLES};
use serde_json::Value;
use tempfile::TempDir;

use super::http::{self, Reply};
use super::nginx::TestNginx;
use super::postgres::TestPostgres;
use super::process::{Service, free_port, spawn, wait_for};
use super::redis::TestRedis;

/// Where the app keeps its data, and so which processes a test runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Postgres and Redis, with `fibstack api` and `fibstack worker` processes.
    Services,
    /// One `fibstack all` process with its workers inside, on a SQLite file.
    Embedded,
}

/// Runs a test case once per backend: each `case(backend: Backend)` function named here becomes
/// a module with the tests `services` and `embedded`. `in_browser:` first says the case drives
/// Chromium.
///
/// A plain `cargo test` leaves out (ignores, with the reason) every test that needs programs a
/// fresh machine may lack: Postgres, Redis, nginx, Chromium. `scripts/test` runs them all, as
/// does `cargo test -- --include-ignored` where they are installed.
#[macro_export]
macro_rules! on_both_backends {
    (@cases [$($services:tt)*] [$($embedded:tt)*]) => {};
    (@cases [$($services:tt)*] [$($embedded:tt)*] $case:ident $(, $rest:ident)*) => {
        mod $case {
            #[test]
            $($services)*
            fn services() {
                super::$case($crate::support::Backend::Services)
            }
            #[test]
            $($embedded)*
            fn embedded() {
                super::$case($crate::support::Backend::Embedded)
            }
        }
        $crate::on_both_backends!(@cases [$($services)*] [$($embedded)*] $($rest),*);
    };
    (in_browser: $($case:ident),* $(,)?) => {
        $crate::on_both_backends!(@cases
            [#[ignore = "needs Chromium, Postgres, Redis and nginx (scripts/test runs it)"]]
            [#[ignore = "needs Chromium (scripts/test runs it)"]]
            $($case),*);
    };
    ($($case:ident),* $(,)?) => {
        $crate::on_both_backends!(@cases
            [#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]] []
            $($case),*);
    };
}

#[derive(Debug, Clone)]
pub struct StackOptions {
    pub backend: Backend,
    pub workers: usize,
    /// Services only: put nginx in front (the embedded process serves the client itself).
    pub router: bool,
    pub rate_limit_rps: u32,
    /// Services only: the router trusts X-Forwarded-For from this CIDR (`TRUSTED_PROXY_CIDR`).
    pub trusted_proxy: Option<&'static str>,
    /// Extra variables for the api and the workers.
    pub env: Vec<(&'static str, String)>,
    /// Services only: Postgres accepts only TLS logins with a password, and the api verifies
    /// its certificate (`PGSSLMODE=verify-full` with the test CA, unless `env` says otherwise).
    pub postgres_tls: bool,
    /// Services only: Redis speaks only TLS and logs in only an ACL user, which the api and
    /// workers are given (`REDIS_TLS`, `REDIS_CA_FILE`, `REDIS_USERNAME`, `REDIS_PASSWORD`).
    pub redis_tls: bool,
    /// Services only: Redis is a TLS Redis Cluster of three masters (`REDIS_CLUSTER=true`), as
    /// ElastiCache Serverless is, with the ACL user of `redis_tls`.
    pub redis_cluster: bool,
}

impl Default for StackOptions {
    fn default() -> Self {
        StackOptions {
            backend: Backend::Services,
            workers: 1,
            router: true,
            rate_limit_rps: 0,
            trusted_proxy: None,
            env: Vec::new(),
            postgres_tls: false,
            redis_tls: false,
            redis_cluster: false,
        }
    }
}

impl StackOptions {
    pub fn on(backend: Backend) -> StackOptions {
        StackOptions {
            backend,
            ..StackOptions::default()
        }
    }
}

/// The backing services of the `Services` backend.
#[derive(Debug)]
struct Services {
    redis: TestRedis,
    postgres: TestPostgres,
}

#[derive(Debug)]
pub struct TestStack {
    pub backend: Backend,
    services: Option<Services>,
    /// The api process; with the embedded backend, the whole app.
    pub api: Service,
    pub api_port: u16,
    pub workers: Vec<Service>,
    /// Where each worker serves its metrics, by the same number.
    worker_ports: Vec<u16>,
    router: Option<TestNginx>,
    _client: Option<TestNginx>,
    env: Vec<(&'static str, String)>,
    started_workers: usize,
    // Last, so the services are stopped before their directory goes.
    pub dir: TempDir,
}

impl TestStack {
    pub fn start(options: StackOptions) -> TestStack {
        let dir = tempfile::Builder::new()
            .prefix("fibstack-test-")
            .tempdir()
            .expect("a temp dir");
        let services = (options.backend == Backend::Services).then(|| {
            let postgres = if options.postgres_tls {
                TestPostgres::start_tls(dir.path())
            } else {
                TestPostgres::start(dir.path())
            };
            // After the Postgres chown: the nginx workers (nobody) must traverse the dir too.
            let _ = Command::new("chmod").arg("755").arg(dir.path()).status();
            let redis = if options.redis_cluster {
                TestRedis::start_cluster(dir.path(), 3, 1)
            } else if options.redis_tls {
                TestRedis::start_tls(dir.path())
            } else {
                TestRedis::start(dir.path())
            };
            Services { redis, postgres }
        });
        let mut env = options.env;
        if options.backend == Backend::Embedded {
            env.push(("FIB_WORKERS", options.workers.to_string()));
        }
        // Picked just before it is bound: the longer a free port waits, the likelier another
        // test's service takes it.
        let api_port = free_port();
        let api = spawn_api(
            options.backend,
            services.as_ref(),
            &env,
            dir.path(),
            api_port,
            "api",
        );
        let mut stack = TestStack {
            backend: options.backend,
            services,
            api,
            api_port,
            workers: Vec::new(),
            worker_ports: Vec::new(),
            router: None,
            _client: None,
            env,
            started_workers: 0,
            dir,
        };
        stack.wait_ready();
        if options.backend == Backend::Embedded {
            return stack;
        }
        for _ in 0..options.workers {
            stack.start_worker();
        }
        if options.router {
            let client = TestNginx::client(stack.dir.path());
            stack.router = Some(TestNginx::router(
                stack.dir.path(),
                api_port,
                client.port,
                options.rate_limit_rps,
                options.trusted_proxy,
            ));
            stack._client = Some(client);
        }
        stack
    }

    /// The `fibstack` binary with this stack's configuration.
    pub fn fibstack(&self, role: &str) -> Command {
        fibstack(self.services.as_ref(), &self.env, self.dir.path(), role)
    }

    /// Starts another `role` process (api or worker) with `env` changed, which must stop by
    /// itself (not wait for a server that will never accept it) and fail; returns what it
    /// printed. `None` as a value unsets the variable.
    pub fn run_refused(&self, role: &str, env: &[(&str, Option<&str>)]) -> String {
        const PATIENCE: Duration = Duration::from_secs(30);
        let mut command = self.fibstack(role);
        command.env("PORT", free_port().to_string());
        for (name, value) in env {
            match value {
                Some(value) => command.env(name, value),
                None => command.env_remove(name),
            };
        }
        // A log of its own for each run: a test may run several refused processes.
        static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("refused-{role}-{run}");
        let log = self.dir.path().join(format!("{name}.log"));
        let mut process = spawn(&name, command, &log);
        let status = process.wait_exit(PATIENCE).unwrap_or_else(|| {
            panic!(
                "the {role} kept waiting for a server that refuses {env:?}:\n{}",
                process.log_text()
            )
        });
        assert!(
            !status.success(),
            "the {role} exited successfully though refused {env:?}"
        );
        process.log_text()
    }

    /// Another api process on `port` (with the embedded backend, the whole app), logging to
    /// `<name>.log`.
    pub fn spawn_api(&self, port: u16, name: &str) -> Service {
        spawn_api(
            self.backend,
            self.services.as_ref(),
            &self.env,
            self.dir.path(),
            port,
            name,
        )
    }

    /// Stops the api (the whole app, with the embedded backend) with SIGTERM and starts it
    /// again on the same port and data, with `env` added.
    pub fn restart_api(&mut self, env: &[(&'static str, &str)]) {
        self.api.stop();
        for (name, value) in env {
            self.env.retain(|(existing, _)| existing != name);
            self.env.push((name, (*value).to_owned()));
        }
        self.api = self.spawn_api(self.api_port, "api");
        self.wait_ready();
    }

    pub fn wait_ready(&self) {
        let url = self.api_url("/readyz");
        wait_for("the api to be ready", Duration::from_secs(30), || {
            (http::answers(&url) == Some(200)).then_some(())
        });
    }

    pub fn start_worker(&mut self) -> usize {
        assert_eq!(
            self.backend,
            Backend::Services,
            "embedded workers run inside the app"
        );
        self.started_workers += 1;
        let name = format!("worker-{}", self.started_workers);
        let log = self.dir.path().join(format!("{name}.log"));
        let port = free_port();
        let mut command = self.fibstack("worker");
        command.env("PORT", port.to_string());
        let worker = spawn(&name, command, &log);
        self.workers.push(worker);
        self.worker_ports.push(port);
        self.workers.len() - 1
    }

    /// The metrics of the worker `start_worker` numbered `n`, as Prometheus scrapes them.
    pub fn worker_metrics(&self, n: usize) -> String {
        let url = format!("http://127.0.0.1:{}/metrics", self.worker_ports[n]);
        wait_for("the worker's metrics", Duration::from_secs(10), || {
            (http::answers(&url) == Some(200)).then_some(())
        });
        http::get(&url).text
    }

    /// A path on the api itself, as the router's upstream sees it (with the embedded backend,
    /// where the one process serves it: under `/api`).
    pub fn api_url(&self, path: &str) -> String {
        match self.backend {
            Backend::Services => format!("http://127.0.0.1:{}{path}", self.api_port),
            Backend::Embedded => format!("http://127.0.0.1:{}/api{path}", self.api_port),
        }
    }

    /// A path as a browser sees it: under `/api` through the router or the all-in-one process
    /// (or on the api directly when a Services stack has no router).
    pub fn url(&self, path: &str) -> String {
        match (&self.router, self.backend) {
            (Some(router), _) => format!("http://127.0.0.1:{}/api{path}", router.port),
            (None, _) => self.api_url(path),
        }
    }

    /// Where the page is served: the router, or the all-in-one process.
    pub fn router_url(&self, path: &str) -> String {
        match (&self.router, self.backend) {
            (Some(router), _) => format!("http://127.0.0.1:{}{path}", router.port),
            (None, Backend::Embedded) => format!("http://127.0.0.1:{}{path}", self.api_port),
            (None, Backend::Services) => panic!("this stack has no router"),
        }
    }

    pub fn redis(&self) -> &TestRedis {
        &self.services().redis
    }

    pub fn redis_mut(&mut self) -> &mut TestRedis {
        &mut self.services_mut().redis
    }

    pub fn postgres(&self) -> &TestPostgres {
        &self.services().postgres
    }

    pub fn postgres_mut(&mut self) -> &mut TestPostgres {
        &mut self.services_mut().postgres
    }

    fn services(&self) -> &Services {
        self.services
            .as_ref()
            .expect("this test needs the Services backend")
    }

    fn services_mut(&mut self) -> &mut Services {
        self.services
            .as_mut()
            .expect("this test needs the Services backend")
    }

    pub fn submit(&self, index: impl std::fmt::Display) -> Reply {
        http::post_json(&self.url("/values"), &format!("{{\"index\": \"{index}\"}}"))
    }

    /// Submits every index in `indexes` straight to the api (no router, so no rate limit),
    /// over a few connections at once.
    pub fn submit_many(&self, indexes: std::ops::Range<u64>) {
        const CONNECTIONS: usize = 8;
        let url = self.api_url("/values");
        let all: Vec<u64> = indexes.collect();
        std::thread::scope(|scope| {
            for part in all.chunks(all.len().div_ceil(CONNECTIONS).max(1)) {
                let url = &url;
                scope.spawn(move || {
                    let client = reqwest::blocking::Client::new();
                    for index in part {
                        let reply = client
                            .post(url)
                            .header("Content-Type", "application/json")
                            .body(format!("{{\"index\": {index}}}"))
                            .send()
                            .expect("the api answers");
                        assert!(
                            reply.status().is_success(),
                            "F({index}) was refused: {}",
                            reply.status()
                        );
                    }
                });
            }
        });
    }

    /// Waits until the index is done and returns its detail.
    pub fn wait_done(&self, index: u64, limit: Duration) -> Value {
        let url = self.url(&format!("/values/{index}"));
        wait_for(&format!("F({index}) to be computed"), limit, || {
            let reply = http::get(&url);
            let detail = (reply.status == 200).then(|| reply.json())?;
            (detail["status"] == "done").then_some(detail)
        })
    }

    /// Jobs waiting or running, as the api's metrics report them.
    pub fn queue_length(&self) -> u64 {
        self.metric("fibstack_queue_jobs")
    }

    /// One unlabelled metric of the api.
    pub fn metric(&self, name: &str) -> u64 {
        sample(&http::get(&self.api_url("/metrics")).text, name)
    }

    /// Submissions recorded in the durable store, read straight from it.
    pub fn submissions_count(&self) -> u64 {
        const QUERY: &str = "SELECT count(*) FROM submissions";
        let Some(Services { postgres, .. }) = &self.services else {
            return self.embedded_count(QUERY);
        };
        let output = postgres
            .psql()
            .args(["-tAc", QUERY])
            .output()
            .expect("psql runs");
        let text = String::from_utf8_lossy(&output.stdout);
        text.trim().parse().unwrap_or_else(|_| {
            panic!(
                "Postgres answered {text:?} {:?}",
                String::from_utf8_lossy(&output.stderr)
            )
        })
    }

    /// Jobs a worker has taken and not finished: pending in the consumer group, or delivered
    /// and still in the embedded store's queue.
    pub fn jobs_in_hand(&self) -> u64 {
        match &self.services {
            Some(_) => self.redis().pending_jobs(),
            None => self.embedded_count("SELECT count(*) FROM jobs WHERE deliveries > 0"),
        }
    }

    /// A `count(*)` on the embedded store's file, beside the running app (WAL lets it read).
    fn embedded_count(&self, query: &str) -> u64 {
        let file = self.dir.path().join("data/fibstack.sqlite3");
        let store = rusqlite::Connection::open_with_flags(
            &file,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap_or_else(|error| panic!("cannot open {}: {error}", file.display()));
        let count: i64 = store
            .query_row(query, [], |row| row.get(0))
            .unwrap_or_else(|error| panic!("{query} on {}: {error}", file.display()));
        u64::try_from(count).expect("a count")
    }

    /// All the workers' logs together (with the embedded backend, the app's log).
    pub fn worker_logs(&self) -> String {
        let mut text = String::new();
        if self.backend == Backend::Embedded {
            text.push_str(&self.api.log_text());
        }
        for worker in &self.workers {
            text.push_str(&worker.log_text());
        }
        text
    }
}

/// The value of the series `name` (with its labels, if any) in Prometheus's text format.
pub fn sample<T: std::str::FromStr>(metrics: &str, name: &str) -> T {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in the metrics:\n{metrics}"))
}

fn fibstack(
    services: Option<&Services>,
    env: &[(&'static str, String)],
    dir: &Path,
    role: &str,
) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fibstack"));
    command
        .arg(role)
        .env("HOST", "127.0.0.1")
        .env("RUST_LOG", "info")
        .env("LOG_FORMAT", "human");
    // Whatever the test runner's environment holds, the backend is the one the test chose.
    for variable in POSTGRES_VARIABLES.iter().chain(&REDIS_VARIABLES) {
        command.env_remove(variable);
    }
    match services {
        Some(Services { redis, postgres }) => {
            command
                .env("PGHOST", "127.0.0.1")
                .env("PGPORT", postgres.port.to_string())
                .env("PGUSER", "postgres")
                .env("PGDATABASE", "postgres")
                .envs(redis.env());
            if let Some(certs) = &postgres.tls {
                command
                    .env("PGPASSWORD", super::postgres::TLS_PASSWORD)
                    .env("PGSSLMODE", "verify-full")
                    .env("PGSSLROOTCERT", &certs.ca);
            }
        }
        None => {
            command.env("FIBSTACK_DATA_DIR", dir.join("data"));
        }
    }
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

fn spawn_api(
    backend: Backend,
    services: Option<&Services>,
    env: &[(&'static str, String)],
    dir: &Path,
    port: u16,
    name: &str,
) -> Service {
    let role = match backend {
        Backend::Services => "api",
        Backend::Embedded => "all",
    };
    let mut command = fibstack(services, env, dir, role);
    command.env("PORT", port.to_string());
    spawn(name, command, &dir.join(format!("{name}.log")))
}

/// The line `fibstack: <service> refused this process (…)` that a refused process prints names
/// every one of `names`; its log never shows `secret`.
pub fn assert_refusal_line(log: &str, service: &str, names: &[&str], secret: Option<&str>) {
    let start = format!("fibstack: {service} refused this process");
    let line = log
        .lines()
        .find(|line| line.starts_with(&start))
        .unwrap_or_else(|| panic!("no line says {service} refused the process:\n{log}"));
    for name in names {
        assert!(line.contains(name), "the line does not name {name}: {line}");
    }
    if let Some(secret) = secret {
        assert!(!log.contains(secret), "the log shows the password:\n{log}");
    }
}
