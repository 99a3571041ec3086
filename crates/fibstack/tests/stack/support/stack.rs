//! A whole stack for one test: Postgres, Redis, the api, workers, and optionally the router.

use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

use super::http::{self, Reply};
use super::nginx::TestNginx;
use super::postgres::TestPostgres;
use super::process::{Service, free_port, wait_for};
use super::redis::TestRedis;

#[derive(Debug, Clone)]
pub struct StackOptions {
    pub workers: usize,
    pub router: bool,
    pub rate_limit_rps: u32,
    /// Extra variables for the api and the workers.
    pub env: Vec<(&'static str, String)>,
}

impl Default for StackOptions {
    fn default() -> Self {
        StackOptions {
            workers: 1,
            router: true,
            rate_limit_rps: 0,
            env: Vec::new(),
        }
    }
}

#[derive(Debug)]
pub struct TestStack {
    pub redis: TestRedis,
    pub postgres: TestPostgres,
    pub api: Service,
    pub api_port: u16,
    pub workers: Vec<Service>,
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
        let postgres = TestPostgres::start(dir.path());
        // After the Postgres chown: the nginx workers (nobody) must traverse the dir too.
        let _ = Command::new("chmod").arg("755").arg(dir.path()).status();
        let redis = TestRedis::start(dir.path());
        let api_port = free_port();
        let api = spawn_api(&postgres, &redis, &options.env, dir.path(), api_port, "api");
        let mut stack = TestStack {
            api,
            api_port,
            workers: Vec::new(),
            router: None,
            _client: None,
            env: options.env,
            started_workers: 0,
            redis,
            postgres,
            dir,
        };
        stack.wait_ready();
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
            ));
            stack._client = Some(client);
        }
        stack
    }

    /// The `fibstack` binary with this stack's configuration.
    pub fn fibstack(&self, role: &str) -> Command {
        fibstack(&self.postgres, &self.redis, &self.env, role)
    }

    /// Another api process on `port`, logging to `<name>.log`.
    pub fn spawn_api(&self, port: u16, name: &str) -> Service {
        spawn_api(
            &self.postgres,
            &self.redis,
            &self.env,
            self.dir.path(),
            port,
            name,
        )
    }

    pub fn wait_ready(&self) {
        let url = self.api_url("/readyz");
        wait_for("the api to be ready", Duration::from_secs(30), || {
            (http::answers(&url) == Some(200)).then_some(())
        });
    }

    pub fn start_worker(&mut self) -> usize {
        self.started_workers += 1;
        let name = format!("worker-{}", self.started_workers);
        let log = self.dir.path().join(format!("{name}.log"));
        let worker = Service::spawn(&name, self.fibstack("worker"), &log);
        self.workers.push(worker);
        self.workers.len() - 1
    }

    /// A path on the api itself, as the router's upstream sees it.
    pub fn api_url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.api_port)
    }

    /// A path as a browser sees it: through the router, under `/api` (or on the api directly
    /// when this stack has no router).
    pub fn url(&self, path: &str) -> String {
        match &self.router {
            Some(router) => format!("http://127.0.0.1:{}/api{path}", router.port),
            None => self.api_url(path),
        }
    }

    pub fn router_url(&self, path: &str) -> String {
        let router = self.router.as_ref().expect("this stack has a router");
        format!("http://127.0.0.1:{}{path}", router.port)
    }

    pub fn submit(&self, index: impl std::fmt::Display) -> Reply {
        http::post_json(&self.url("/values"), &format!("{{\"index\": \"{index}\"}}"))
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

    /// Submissions recorded in Postgres.
    pub fn submissions_count(&self) -> u64 {
        let output = Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.postgres.port.to_string(),
                "-U",
                "postgres",
            ])
            .args(["-d", "postgres", "-tAc", "SELECT count(*) FROM submissions"])
            .output()
            .expect("psql runs");
        let text = String::from_utf8_lossy(&output.stdout);
        text.trim().parse().unwrap_or_else(|_| {
            panic!(
                "psql answered {text:?} {:?}",
                String::from_utf8_lossy(&output.stderr)
            )
        })
    }

    /// All the workers' logs together.
    pub fn worker_logs(&self) -> String {
        let mut text = String::new();
        for worker in &self.workers {
            text.push_str(&worker.log_text());
        }
        text
    }
}

fn fibstack(
    postgres: &TestPostgres,
    redis: &TestRedis,
    env: &[(&'static str, String)],
    role: &str,
) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fibstack"));
    command
        .arg(role)
        .env("PGHOST", "127.0.0.1")
        .env("PGPORT", postgres.port.to_string())
        .env("PGUSER", "postgres")
        .env("PGDATABASE", "postgres")
        .env("REDIS_HOST", "127.0.0.1")
        .env("REDIS_PORT", redis.port.to_string())
        .env("HOST", "127.0.0.1")
        .env("RUST_LOG", "info")
        .env("LOG_FORMAT", "human");
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

fn spawn_api(
    postgres: &TestPostgres,
    redis: &TestRedis,
    env: &[(&'static str, String)],
    dir: &std::path::Path,
    port: u16,
    name: &str,
) -> Service {
    let mut command = fibstack(postgres, redis, env, "api");
    command.env("PORT", port.to_string());
    Service::spawn(name, command, &dir.join(format!("{name}.log")))
}
