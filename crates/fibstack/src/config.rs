//! Configuration from the environment, read once at start: one type per role ([`AllConfig`],
//! [`ApiConfig`], [`WorkerConfig`]) holds everything that role reads, and its defaults.
//!
//! Parsing is pure (it takes a lookup function), so every rule is unit-tested without touching
//! the process environment. A missing or malformed variable is reported by name, in one line.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

use fibstack_core::IndexPolicy;
use fibstack_core::index::DEFAULT_MAX_INDEX;
use fibstack_core::store::QueuePolicy;
use fibstack_postgres::PgConfig;
use fibstack_redis::{RedisConfig, RedisTls};

use crate::api::ApiSettings;
use crate::telemetry::SpanExport;

/// `fibstack all`, what `cargo run` starts: the page, the api and the workers on a workstation.
#[derive(Debug, Clone)]
pub struct AllConfig {
    /// `HOST` (127.0.0.1: only this machine) and `PORT` (3050).
    pub host: IpAddr,
    pub port: u16,
    pub policy: IndexPolicy,
    pub storage: Storage,
    pub queue: QueuePolicy,
    /// `FIB_WORKERS`: worker loops, computations that can run at once.
    pub workers: usize,
}

impl AllConfig {
    pub fn from_env(env: &impl Lookup) -> Result<Self, ConfigError> {
        Ok(AllConfig {
            host: host(env, [127, 0, 0, 1].into())?,
            port: port(env, 3050)?,
            policy: index_policy(env)?,
            storage: storage(env)?,
            queue: queue(env)?,
            workers: workers(env)?,
        })
    }
}

/// `fibstack api`: the HTTP api over Postgres and Redis, in a container.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// `HOST` (0.0.0.0: reachable from the router's container), `PORT` (5000), the index limit.
    pub api: ApiSettings,
    pub postgres: PgConfig,
    pub redis: RedisConfig,
    pub queue: QueuePolicy,
}

impl ApiConfig {
    pub fn from_env(env: &impl Lookup) -> Result<Self, ConfigError> {
        let queue = queue(env)?;
        Ok(ApiConfig {
            api: ApiSettings {
                host: host(env, [0, 0, 0, 0].into())?,
                port: api_port(env)?,
                policy: index_policy(env)?,
                cache_budget: queue.cache_budget,
                worker_metrics: None,
            },
            postgres: postgres(env)?,
            redis: redis(env)?,
            queue,
        })
    }
}

/// `fibstack worker`: computes the jobs it takes from Redis.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub policy: IndexPolicy,
    pub redis: RedisConfig,
    pub queue: QueuePolicy,
    /// Where `/metrics` and `/healthz` are served: `HOST` (0.0.0.0) and `PORT`, only when
    /// `PORT` is set (the images set 5001), so several workers on one machine need no ports.
    pub metrics: Option<SocketAddr>,
}

impl WorkerConfig {
    pub fn from_env(env: &impl Lookup) -> Result<Self, ConfigError> {
        let metrics = match get(env, "PORT") {
            Some(_) => Some(SocketAddr::new(
                host(env, [0, 0, 0, 0].into())?,
                port(env, 0)?,
            )),
            None => None,
        };
        Ok(WorkerConfig {
            policy: index_policy(env)?,
            redis: redis(env)?,
            queue: queue(env)?,
            metrics,
        })
    }
}

/// The api's `PORT`, which its health check asks too.
pub fn api_port(env: &impl Lookup) -> Result<u16, ConfigError> {
    port(env, 5000)
}

/// A problem with one variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

impl ConfigError {
    fn new(variable: &'static str, problem: impl Into<String>) -> Self {
        ConfigError {
            variable,
            problem: problem.into(),
        }
    }
}

/// Reads one variable; `None` when unset (an empty value counts as unset, as with libpq).
pub trait Lookup: Fn(&str) -> Option<String> {}
impl<F: Fn(&str) -> Option<String>> Lookup for F {}

fn get(env: &impl Lookup, variable: &str) -> Option<String> {
    env(variable).filter(|value| !value.trim().is_empty())
}

fn parse_or<T: FromStr>(
    env: &impl Lookup,
    variable: &'static str,
    default: T,
    expected: &str,
) -> Result<T, ConfigError> {
    match get(env, variable) {
        None => Ok(default),
        Some(raw) => raw
            .trim()
            .parse()
            .map_err(|_| ConfigError::new(variable, format!("expected {expected}, got {raw:?}"))),
    }
}

/// `FIB_MAX_INDEX`.
fn index_policy(env: &impl Lookup) -> Result<IndexPolicy, ConfigError> {
    let max: u64 = parse_or(env, "FIB_MAX_INDEX", DEFAULT_MAX_INDEX, "a whole number")?;
    if max > fibstack_core::index::MAX_SUPPORTED_INDEX {
        return Err(ConfigError::new(
            "FIB_MAX_INDEX",
            format!(
                "{max} is above the largest supported limit, {}",
                fibstack_core::index::MAX_SUPPORTED_INDEX
            ),
        ));
    }
    Ok(IndexPolicy::new(max))
}

/// `PORT`, with the role's default.
fn port(env: &impl Lookup, default: u16) -> Result<u16, ConfigError> {
    parse_or(env, "PORT", default, "a port number from 0 to 65535")
}

/// `FIB_WORKERS`: worker loops in the all-in-one process; when unset, one per core but one.
/// 0 runs no computations: jobs wait in the store for a later start (or for workers elsewhere).
fn workers(env: &impl Lookup) -> Result<usize, ConfigError> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    parse_or(env, "FIB_WORKERS", default_workers(cores), "a whole number")
}

/// One core is left to answer requests: with a computation on every core, submissions wait
/// behind the arithmetic (on 2 cores, 0.90 of the POSTs a second that one loop allows).
fn default_workers(cores: usize) -> usize {
    cores.saturating_sub(1).max(1)
}

/// `HOST`: the address to listen on.
fn host(env: &impl Lookup, default: std::net::IpAddr) -> Result<std::net::IpAddr, ConfigError> {
    parse_or(
        env,
        "HOST",
        default,
        "an IP address such as 0.0.0.0 or 127.0.0.1",
    )
}

/// `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE`, `PGSSLROOTCERT`.
pub fn postgres(env: &impl Lookup) -> Result<PgConfig, ConfigError> {
    let host = get(env, "PGHOST").ok_or_else(|| {
        ConfigError::new(
            "PGHOST",
            "not set; this role needs Postgres: set PGHOST (and PGUSER, PGPASSWORD, PGDATABASE)",
        )
    })?;
    let user = get(env, "PGUSER").unwrap_or_else(|| "postgres".to_owned());
    let ssl_mode = match get(env, "PGSSLMODE") {
        None => Default::default(),
        Some(raw) => raw.parse().map_err(|_| {
            ConfigError::new(
                "PGSSLMODE",
                format!("expected disable, allow, prefer, require, verify-ca or verify-full, got {raw:?}"),
            )
        })?,
    };
    Ok(PgConfig {
        host,
        port: parse_or(env, "PGPORT", 5432, "a port number")?,
        database: get(env, "PGDATABASE").unwrap_or_else(|| user.clone()),
        user,
        password: get(env, "PGPASSWORD"),
        ssl_mode,
        ssl_root_cert: get(env, "PGSSLROOTCERT").map(std::path::PathBuf::from),
    })
}

/// `REDIS_HOST`, `REDIS_PORT`, `REDIS_TLS`, `REDIS_CA_FILE`, `REDIS_USERNAME`, `REDIS_PASSWORD`,
/// `REDIS_CLUSTER`.
pub fn redis(env: &impl Lookup) -> Result<RedisConfig, ConfigError> {
    let host = get(env, "REDIS_HOST").ok_or_else(|| {
        ConfigError::new(
            "REDIS_HOST",
            "not set; this role needs Redis: set REDIS_HOST and REDIS_PORT",
        )
    })?;
    let ca_file = get(env, "REDIS_CA_FILE").map(std::path::PathBuf::from);
    let tls = match (flag(env, "REDIS_TLS")?, ca_file) {
        (true, ca_file) => Some(RedisTls { ca_file }),
        (false, None) => None,
        (false, Some(_)) => {
            return Err(ConfigError::new(
                "REDIS_CA_FILE",
                "is set but REDIS_TLS is not true; set REDIS_TLS=true, or unset REDIS_CA_FILE",
            ));
        }
    };
    let username = get(env, "REDIS_USERNAME");
    let password = get(env, "REDIS_PASSWORD");
    if username.is_some() && password.is_none() {
        return Err(ConfigError::new(
            "REDIS_USERNAME",
            "is set but REDIS_PASSWORD is not; an ACL user logs in with a password",
        ));
    }
    Ok(RedisConfig {
        host,
        port: parse_or(env, "REDIS_PORT", 6379, "a port number")?,
        username,
        password,
        tls,
        cluster: flag(env, "REDIS_CLUSTER")?,
    })
}

/// A yes/no variable; unset is no.
fn flag(env: &impl Lookup, variable: &'static str) -> Result<bool, ConfigError> {
    match get(env, variable).as_deref().map(str::trim) {
        None | Some("0" | "false" | "off" | "no") => Ok(false),
        Some("1" | "true" | "on" | "yes") => Ok(true),
        Some(other) => Err(ConfigError::new(
            variable,
            format!("expected true or false, got {other:?}"),
        )),
    }
}

/// `FIB_QUEUE_LIMIT`, `FIB_CACHE_BYTES`, `FIB_RECLAIM_IDLE_MS`, `FIB_MAX_DELIVERIES`,
/// `FIB_FAILURE_SECS`: the queue and the cache, the same for the api and the workers.
pub fn queue(env: &impl Lookup) -> Result<QueuePolicy, ConfigError> {
    let positive = |variable: &'static str, value: u64| {
        if value == 0 {
            Err(ConfigError::new(variable, "must be at least 1"))
        } else {
            Ok(value)
        }
    };
    Ok(QueuePolicy {
        queue_limit: positive(
            "FIB_QUEUE_LIMIT",
            parse_or(env, "FIB_QUEUE_LIMIT", 100_000, "a whole number")?,
        )?,
        cache_budget: positive(
            "FIB_CACHE_BYTES",
            parse_or(
                env,
                "FIB_CACHE_BYTES",
                64 * 1024 * 1024,
                "a number of bytes",
            )?,
        )?,
        reclaim_idle: Duration::from_millis(positive(
            "FIB_RECLAIM_IDLE_MS",
            parse_or(env, "FIB_RECLAIM_IDLE_MS", 15_000, "milliseconds")?,
        )?),
        max_deliveries: positive(
            "FIB_MAX_DELIVERIES",
            parse_or(env, "FIB_MAX_DELIVERIES", 3, "a whole number")?,
        )?,
        failure_memory: Duration::from_secs(positive(
            "FIB_FAILURE_SECS",
            parse_or(env, "FIB_FAILURE_SECS", 3600, "seconds")?,
        )?),
    })
}

/// Where the all-in-one process keeps each kind of data.
#[derive(Debug, Clone)]
pub struct Storage {
    /// `PGHOST` set: Postgres; unset: the embedded store.
    pub submissions: Option<PgConfig>,
    /// `REDIS_HOST` set: Redis; unset: the embedded store.
    pub values: Option<RedisConfig>,
    /// `FIBSTACK_DATA_DIR`: where the embedded store's file lives, when either part uses it.
    pub data_dir: std::path::PathBuf,
}

impl Storage {
    pub fn uses_embedded(&self) -> bool {
        self.submissions.is_none() || self.values.is_none()
    }
}

/// Every variable that configures Postgres (libpq's names).
pub const POSTGRES_VARIABLES: [&str; 7] = [
    "PGHOST",
    "PGPORT",
    "PGUSER",
    "PGPASSWORD",
    "PGDATABASE",
    "PGSSLMODE",
    "PGSSLROOTCERT",
];

/// Every variable that configures Redis, `REDIS_HOST` first.
pub const REDIS_VARIABLES: [&str; 7] = [
    "REDIS_HOST",
    "REDIS_PORT",
    "REDIS_TLS",
    "REDIS_CA_FILE",
    "REDIS_USERNAME",
    "REDIS_PASSWORD",
    "REDIS_CLUSTER",
];

/// Postgres and Redis when configured, the embedded store for what is not (`fibstack all`).
/// A variable of a service whose host is unset is a mistake worth stopping for: the user meant
/// that service, and silently using the embedded store instead would hide their data.
fn storage(env: &impl Lookup) -> Result<Storage, ConfigError> {
    let submissions = if get(env, "PGHOST").is_some() {
        Some(postgres(env)?)
    } else {
        refuse_orphans(
            env,
            "PGHOST",
            &["PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"],
        )?;
        None
    };
    let values = if get(env, "REDIS_HOST").is_some() {
        Some(redis(env)?)
    } else {
        refuse_orphans(env, "REDIS_HOST", &REDIS_VARIABLES[1..])?;
        None
    };
    Ok(Storage {
        submissions,
        values,
        data_dir: data_dir(env),
    })
}

fn refuse_orphans(
    env: &impl Lookup,
    host: &'static str,
    others: &[&'static str],
) -> Result<(), ConfigError> {
    match others.iter().find(|&&other| get(env, other).is_some()) {
        Some(&other) => Err(ConfigError::new(
            other,
            format!(
                "is set but {host} is not; set {host} too, or unset {other} for the embedded store"
            ),
        )),
        None => Ok(()),
    }
}

/// `FIBSTACK_DATA_DIR`, else the user's data directory (`$XDG_DATA_HOME/fibstack`, or
/// `~/.local/share/fibstack`), else `fibstack-data` under the working directory.
fn data_dir(env: &impl Lookup) -> std::path::PathBuf {
    use std::path::PathBuf;
    if let Some(dir) = get(env, "FIBSTACK_DATA_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(xdg) = get(env, "XDG_DATA_HOME") {
        return PathBuf::from(xdg).join("fibstack");
    }
    match get(env, "HOME") {
        Some(home) => PathBuf::from(home).join(".local/share/fibstack"),
        None => PathBuf::from("fibstack-data"),
    }
}

/// `LOG_FORMAT`: `json` for containers, anything else human.
pub fn json_logs(env: &impl Lookup) -> bool {
    get(env, "LOG_FORMAT").is_some_and(|format| format.trim().eq_ignore_ascii_case("json"))
}

/// Where spans are exported, by the OpenTelemetry variables: none unless
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT` is set (and
/// `OTEL_SDK_DISABLED` is not `true`). `role` names the service unless `OTEL_SERVICE_NAME` does.
pub fn span_export(env: &impl Lookup, role: &str) -> Result<Option<SpanExport>, ConfigError> {
    if get(env, "OTEL_SDK_DISABLED").is_some_and(|value| value.trim().eq_ignore_ascii_case("true"))
    {
        return Ok(None);
    }
    let (variable, traces_url) = if let Some(url) = get(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", url.trim().to_owned())
    } else if let Some(base) = get(env, "OTEL_EXPORTER_OTLP_ENDPOINT") {
        let base = base.trim().trim_end_matches('/');
        ("OTEL_EXPORTER_OTLP_ENDPOINT", format!("{base}/v1/traces"))
    } else {
        return Ok(None);
    };
    if !(traces_url.starts_with("http://") || traces_url.starts_with("https://")) {
        return Err(ConfigError::new(
            variable,
            format!("expected an http:// or https:// URL of an OTLP collector, got {traces_url:?}"),
        ));
    }
    for variable in [
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
    ] {
        if let Some(protocol) = get(env, variable)
            && protocol.trim() != "http/protobuf"
        {
            return Err(ConfigError::new(
                variable,
                format!(
                    "spans are exported as http/protobuf only (port 4318 of a collector); got {protocol:?}"
                ),
            ));
        }
    }
    Ok(Some(SpanExport {
        traces_url,
        service_name: get(env, "OTEL_SERVICE_NAME")
            .map_or_else(|| format!("fibstack-{role}"), |name| name.trim().to_owned()),
    }))
}

/// The real process environment.
pub fn process_env(variable: &str) -> Option<String> {
    std::env::var(variable).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Lookup {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |key: &str| map.get(key).cloned()
    }

    #[test]
    fn spans_are_exported_only_where_a_collector_is_named() {
        assert_eq!(span_export(&env(&[]), "api"), Ok(None));
        assert_eq!(
            span_export(
                &env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/")]),
                "worker"
            ),
            Ok(Some(SpanExport {
                traces_url: "http://collector:4318/v1/traces".to_owned(),
                service_name: "fibstack-worker".to_owned(),
            }))
        );
        let both = env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            (
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "https://traces.example/in",
            ),
            ("OTEL_SERVICE_NAME", "fib-api-eu"),
        ]);
        assert_eq!(
            span_export(&both, "api"),
            Ok(Some(SpanExport {
                traces_url: "https://traces.example/in".to_owned(),
                service_name: "fib-api-eu".to_owned(),
            })),
            "the traces endpoint is used as it is given"
        );
        let disabled = env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            ("OTEL_SDK_DISABLED", "true"),
        ]);
        assert_eq!(span_export(&disabled, "api"), Ok(None));
    }

    #[test]
    fn a_collector_that_cannot_be_reached_as_configured_is_refused() {
        let no_scheme = env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318")]);
        let error = span_export(&no_scheme, "api").expect_err("refused");
        assert_eq!(error.variable, "OTEL_EXPORTER_OTLP_ENDPOINT");
        assert!(error.problem.contains("http://"), "{error}");
        let grpc = env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ]);
        let error = span_export(&grpc, "api").expect_err("refused");
        assert_eq!(error.variable, "OTEL_EXPORTER_OTLP_PROTOCOL");
        assert!(error.problem.contains("http/protobuf"), "{error}");
    }

    #[test]
    fn each_role_reads_its_own_defaults() {
        let all = AllConfig::from_env(&env(&[("HOME", "/home/ada")])).expect("valid");
        assert_eq!(
            (all.host.to_string(), all.port),
            ("127.0.0.1".to_owned(), 3050)
        );
        assert!(all.storage.uses_embedded());
        let services = [("PGHOST", "db"), ("REDIS_HOST", "cache")];
        let api = ApiConfig::from_env(&env(&services)).expect("valid");
        assert_eq!(
            (api.api.host.to_string(), api.api.port),
            ("0.0.0.0".to_owned(), 5000)
        );
        assert_eq!(
            (api.postgres.host.as_str(), api.redis.host.as_str()),
            ("db", "cache")
        );
        let worker = WorkerConfig::from_env(&env(&[("REDIS_HOST", "cache")])).expect("valid");
        assert_eq!(worker.policy.max(), 1_000_000);
        assert_eq!(
            worker.metrics, None,
            "no port of its own unless PORT says so"
        );
        let served = WorkerConfig::from_env(&env(&[("REDIS_HOST", "cache"), ("PORT", "5001")]));
        assert_eq!(
            served
                .expect("valid")
                .metrics
                .map(|address| address.to_string()),
            Some("0.0.0.0:5001".to_owned())
        );
        let refused = WorkerConfig::from_env(&env(&[("REDIS_HOST", "cache"), ("PORT", "metrics")]));
        assert_eq!(refused.map_err(|error| error.variable).err(), Some("PORT"));
        let refused = ApiConfig::from_env(&env(&[("REDIS_HOST", "cache")]));
        assert_eq!(
            refused.map_err(|error| error.variable).err(),
            Some("PGHOST")
        );
    }

    #[test]
    fn defaults_apply_when_unset() {
        let empty = env(&[]);
        assert_eq!(index_policy(&empty).map(|p| p.max()), Ok(1_000_000));
        assert_eq!(port(&empty, 5000), Ok(5000));
        let queue = queue(&empty).expect("defaults are valid");
        assert_eq!(queue.max_deliveries, 3);
    }

    #[test]
    fn workers_leave_a_core_to_the_requests_but_never_none() {
        assert_eq!(default_workers(1), 1);
        assert_eq!(default_workers(2), 1);
        assert_eq!(default_workers(8), 7);
        assert_eq!(workers(&env(&[("FIB_WORKERS", "0")])), Ok(0));
        assert_eq!(workers(&env(&[("FIB_WORKERS", "3")])), Ok(3));
        assert!(workers(&env(&[("FIB_WORKERS", "many")])).is_err());
    }

    #[test]
    fn unset_services_mean_the_embedded_store() {
        let storage = storage(&env(&[("HOME", "/home/ada")])).expect("valid");
        assert!(storage.submissions.is_none() && storage.values.is_none());
        assert_eq!(
            storage.data_dir,
            std::path::PathBuf::from("/home/ada/.local/share/fibstack")
        );
        let storage = storage_with(&[("REDIS_HOST", "r"), ("FIBSTACK_DATA_DIR", "/data")]);
        assert!(storage.submissions.is_none() && storage.values.is_some());
        assert_eq!(storage.data_dir, std::path::PathBuf::from("/data"));
    }

    #[test]
    fn a_service_variable_without_its_host_is_refused() {
        let orphan = storage(&env(&[("PGDATABASE", "fibs")])).map_err(|e| e.variable);
        assert_eq!(orphan.err(), Some("PGDATABASE"));
        let orphan = storage(&env(&[("REDIS_PORT", "6380")])).map_err(|e| e.variable);
        assert_eq!(orphan.err(), Some("REDIS_PORT"));
    }

    fn storage_with(pairs: &[(&str, &str)]) -> Storage {
        storage(&env(pairs)).expect("valid")
    }

    #[test]
    fn the_seed_variables_configure_postgres() {
        let pg = postgres(&env(&[
            ("PGHOST", "postgres"),
            ("PGPORT", "5433"),
            ("PGUSER", "fib"),
            ("PGPASSWORD", "secret"),
            ("PGDATABASE", "fibs"),
        ]))
        .expect("valid");
        assert_eq!(
            (pg.host.as_str(), pg.port, pg.user.as_str()),
            ("postgres", 5433, "fib")
        );
        assert_eq!(pg.database, "fibs");
        assert!(
            !format!("{pg:?}").contains("secret"),
            "password must not be printed"
        );
    }

    #[test]
    fn errors_name_the_variable() {
        let bad = [
            (env(&[("FIB_MAX_INDEX", "lots")]), "FIB_MAX_INDEX"),
            (env(&[("FIB_MAX_INDEX", "99999999999")]), "FIB_MAX_INDEX"),
        ];
        for (environment, variable) in bad {
            assert_eq!(
                index_policy(&environment).map_err(|e| e.variable),
                Err(variable)
            );
        }
        assert_eq!(
            port(&env(&[("PORT", "70000")]), 1).map_err(|e| e.variable),
            Err("PORT")
        );
        assert_eq!(
            postgres(&env(&[])).err().map(|e| e.variable),
            Some("PGHOST")
        );
        assert_eq!(
            postgres(&env(&[("PGHOST", "h"), ("PGPORT", "x")]))
                .err()
                .map(|e| e.variable),
            Some("PGPORT")
        );
        assert_eq!(redis(&env(&[])).map_err(|e| e.variable), Err("REDIS_HOST"));
        assert_eq!(
            redis(&env(&[("REDIS_HOST", "r"), ("REDIS_TLS", "maybe")])).map_err(|e| e.variable),
            Err("REDIS_TLS")
        );
        assert_eq!(
            queue(&env(&[("FIB_MAX_DELIVERIES", "0")])).map_err(|e| e.variable),
            Err("FIB_MAX_DELIVERIES")
        );
    }

    #[test]
    fn redis_tls_and_login_are_read_together() {
        let tls = redis(&env(&[
            ("REDIS_HOST", "cache"),
            ("REDIS_TLS", "true"),
            ("REDIS_CA_FILE", "/etc/ssl/cache-ca.pem"),
            ("REDIS_USERNAME", "fibstack"),
            ("REDIS_PASSWORD", "token"),
        ]))
        .expect("valid");
        assert_eq!(
            tls.tls,
            Some(RedisTls {
                ca_file: Some("/etc/ssl/cache-ca.pem".into())
            })
        );
        assert_eq!(tls.username.as_deref(), Some("fibstack"));
        let system_roots = redis(&env(&[("REDIS_HOST", "cache"), ("REDIS_TLS", "1")]));
        assert_eq!(
            system_roots.map(|r| r.tls),
            Ok(Some(RedisTls { ca_file: None }))
        );
        let plain = redis(&env(&[("REDIS_HOST", "cache")])).expect("valid");
        assert_eq!((plain.tls, plain.cluster), (None, false));
        let cluster = redis(&env(&[("REDIS_HOST", "cache"), ("REDIS_CLUSTER", "true")]));
        assert_eq!(cluster.map(|r| r.cluster), Ok(true));
    }

    #[test]
    fn redis_settings_that_cannot_work_are_refused_by_name() {
        let ca_without_tls = redis(&env(&[("REDIS_HOST", "r"), ("REDIS_CA_FILE", "/ca.pem")]));
        assert_eq!(ca_without_tls.map_err(|e| e.variable), Err("REDIS_CA_FILE"));
        let user_without_password = redis(&env(&[("REDIS_HOST", "r"), ("REDIS_USERNAME", "u")]));
        assert_eq!(
            user_without_password.map_err(|e| e.variable),
            Err("REDIS_USERNAME")
        );
        let tls_without_host = storage(&env(&[("REDIS_TLS", "true")]));
        assert_eq!(
            tls_without_host.map_err(|e| e.variable).err(),
            Some("REDIS_TLS")
        );
    }

    #[test]
    fn redis_password_is_redacted() {
        let redis =
            redis(&env(&[("REDIS_HOST", "r"), ("REDIS_PASSWORD", "hunter2")])).expect("valid");
        assert!(!format!("{redis:?}").contains("hunter2"));
    }
}
