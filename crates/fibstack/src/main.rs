//! The `fibstack` command: one binary, a subcommand per role.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use fibstack::all;
use fibstack::api::Api;
use fibstack::config::{self, AllConfig, ApiConfig, WorkerConfig, process_env};
use fibstack::wiring;
use fibstack::{healthcheck, shutdown, telemetry, worker};
use fibstack_core::IndexPolicy;
use fibstack_core::fib::fibonacci_decimal;
use fibstack_core::index::MAX_SUPPORTED_INDEX;
use fibstack_core::store::SubmissionLog;
use fibstack_postgres::Submissions;

#[derive(Debug, Parser)]
#[command(
    name = "fibstack",
    version,
    about = "Exact Fibonacci numbers as a multi-service system"
)]
struct Cli {
    /// What to run; `all` when omitted.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    #[command(flatten)]
    Role(Role),
    /// Exit 0 if the api on this machine answers /healthz with 200, or with --redis if Redis
    /// (REDIS_*) answers PING (for container health checks of the api and the worker).
    Healthcheck {
        /// Check Redis instead of the api: the worker's health is reaching its queue.
        #[arg(long)]
        redis: bool,
        /// Port of the api; defaults to PORT or 5000.
        #[arg(long)]
        port: Option<u16>,
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Path to ask for, e.g. /readyz, or /api/readyz through the router.
        #[arg(long, default_value = "/healthz")]
        path: String,
    },
    /// Print F(N) in decimal: F(0)=0, F(1)=1, F(7)=13.
    Fib {
        /// The index N (0 to 4294967295).
        #[arg(allow_hyphen_values = true)]
        n: String,
    },
}

/// The long-running parts of the system, and the migration: each logs, and reads its
/// configuration once (`config`).
#[derive(Debug, Subcommand)]
enum Role {
    /// The whole app in one process (the default): client, api and workers on 127.0.0.1:3050.
    ///
    /// The web client at /, the api under /api, FIB_WORKERS workers (one per core but one). Data goes
    /// to an embedded SQLite file in FIBSTACK_DATA_DIR, or to Postgres (PGHOST, …) and Redis
    /// (REDIS_HOST, …) when they are set. HOST and PORT change the address.
    All,
    /// Serve the HTTP api (PORT, default 5000) over Postgres (PG*) and Redis (REDIS_*).
    Api,
    /// Compute queued jobs from Redis (REDIS_*).
    Worker,
    /// Apply the database migrations (PG*) and exit.
    Migrate,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command.unwrap_or(Command::Role(Role::All))) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("fibstack: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Fib { n } => print_fibonacci(&n),
        Command::Healthcheck { redis: true, .. } => {
            let redis = config::redis(&process_env)?;
            one_thread_runtime()?
                .block_on(redis.ping())
                .context("Redis does not answer")?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Healthcheck {
            port, host, path, ..
        } => {
            let port = match port {
                Some(port) => port,
                None => config::api_port(&process_env)?,
            };
            let status = one_thread_runtime()?.block_on(healthcheck::probe(&host, port, &path))?;
            if status == 200 {
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("fibstack: {path} answered {status}");
                Ok(ExitCode::FAILURE)
            }
        }
        Command::Role(role) => {
            let export = config::span_export(&process_env, role.name())?;
            let _telemetry = telemetry::init(config::json_logs(&process_env), export.as_ref())?;
            run_role(role)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

impl Role {
    /// The role as services are named after it (`fibstack-api`).
    fn name(&self) -> &'static str {
        match self {
            Role::All => "all",
            Role::Api => "api",
            Role::Worker => "worker",
            Role::Migrate => "migrate",
        }
    }
}

fn run_role(role: Role) -> anyhow::Result<()> {
    match role {
        Role::All => {
            let config = AllConfig::from_env(&process_env)?;
            // The signal handlers are tasks: they are set up inside the runtime.
            runtime()?.block_on(async { all::run(config, shutdown::on_signal()).await })
        }
        Role::Api => {
            let config = ApiConfig::from_env(&process_env)?;
            runtime()?.block_on(async {
                let storage =
                    wiring::external_api_storage(&config.postgres, &config.redis, &config.queue)?;
                let api = Api::build(config.api, storage, shutdown::on_signal()).await?;
                api.run_until_stopped().await
            })
        }
        Role::Worker => {
            let config = WorkerConfig::from_env(&process_env)?;
            one_thread_runtime()?.block_on(async {
                let shutdown = shutdown::on_signal();
                let metrics = worker::WorkerMetrics::default();
                if let Some(address) = config.metrics {
                    let server = worker::MetricsServer::bind(address).await?;
                    let (metrics, shutdown) = (metrics.clone(), shutdown.clone());
                    tokio::spawn(async move {
                        if let Err(error) = server.run(metrics, shutdown).await {
                            tracing::error!(error = %format!("{error:#}"), "no worker metrics");
                        }
                    });
                }
                let jobs = wiring::redis_jobs(
                    &config.redis,
                    &config.queue,
                    config.policy,
                    worker::unique_name(),
                )?;
                let roster = wiring::redis_roster(&config.redis)?;
                worker::run(jobs, config.queue, metrics, roster, shutdown).await
            })
        }
        Role::Migrate => {
            let postgres = config::postgres(&process_env)?;
            one_thread_runtime()?.block_on(async {
                eprintln!(
                    "applying migrations to {}:{}/{} …",
                    postgres.host, postgres.port, postgres.database
                );
                Submissions::new(postgres.lazy_pool()?)
                    .migrate()
                    .await
                    .context("migration failed")
            })?;
            eprintln!("database schema is current");
            Ok(())
        }
    }
}

/// For the servers: one thread per core, or `TOKIO_WORKER_THREADS`.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    build_runtime(tokio::runtime::Builder::new_multi_thread())
}

/// For the worker, which takes one job at a time (the arithmetic runs on the blocking pool),
/// and for one-shot commands: more threads would only wait.
fn one_thread_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    build_runtime(tokio::runtime::Builder::new_current_thread())
}

fn build_runtime(mut builder: tokio::runtime::Builder) -> anyhow::Result<tokio::runtime::Runtime> {
    builder
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn print_fibonacci(raw: &str) -> anyhow::Result<ExitCode> {
    let index = IndexPolicy::new(MAX_SUPPORTED_INDEX)
        .parse_str(raw)
        .with_context(|| format!("cannot compute F({raw})"))?;
    let value = fibonacci_decimal(index);
    let mut out = std::io::stdout().lock();
    writeln!(out, "{value}")
        .and_then(|()| out.flush())
        .context("cannot write to standard output")?;
    Ok(ExitCode::SUCCESS)
}
