//! Configuration from the environment, read once at start.
//!
//! Parsing is pure (it takes a lookup function), so every rule is unit-tested without touching
//! the process environment. A missing or malformed variable is reported by name, in one line.

use std::str::FromStr;
use std::time::Duration;

use fibstack_core::IndexPolicy;
use fibstack_core::index::DEFAULT_MAX_INDEX;
use fibstack_postgres::PgConfig;
use fibstack_redis::RedisConfig;

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
pub fn index_policy(env: &impl Lookup) -> Result<IndexPolicy, ConfigError> {
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
pub fn port(env: &impl Lookup, default: u16) -> Result<u16, ConfigError> {
    parse_or(env, "PORT", default, "a port number from 0 to 65535")
}

/// `HOST`: the address to listen on.
pub fn host(env: &impl Lookup) -> Result<std::net::IpAddr, ConfigError> {
    parse_or(
        env,
        "HOST",
        std::net::IpAddr::from([0, 0, 0, 0]),
        "an IP address such as 0.0.0.0 or 127.0.0.1",
    )
}

/// `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE`.
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
    })
}

/// `REDIS_HOST`, `REDIS_PORT`, `REDIS_PASSWORD`, `REDIS_TLS`.
pub fn redis(env: &impl Lookup) -> Result<RedisConfig, ConfigError> {
    let host = get(env, "REDIS_HOST").ok_or_else(|| {
        ConfigError::new(
            "REDIS_HOST",
            "not set; this role needs Redis: set REDIS_HOST and REDIS_PORT",
        )
    })?;
    let tls: bool = match get(env, "REDIS_TLS").as_deref().map(str::trim) {
        None | Some("0" | "false" | "off" | "no") => false,
        Some("1" | "true" | "on" | "yes") => true,
        Some(other) => {
            return Err(ConfigError::new(
                "REDIS_TLS",
                format!("expected true or false, got {other:?}"),
            ));
        }
    };
    if tls {
        return Err(ConfigError::new(
            "REDIS_TLS",
            "TLS to Redis is not supported by this build yet; use a Redis endpoint without in-transit encryption",
        ));
    }
    Ok(RedisConfig {
        host,
        port: parse_or(env, "REDIS_PORT", 6379, "a port number")?,
        password: get(env, "REDIS_PASSWORD"),
    })
}

/// Settings of the queue and cache, shared by the api and the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSettings {
    /// `FIB_QUEUE_LIMIT`: jobs waiting or running before submissions get 503.
    pub queue_limit: u64,
    /// `FIB_CACHE_BYTES`: bytes of values kept in Redis.
    pub cache_bytes: u64,
    /// `FIB_RECLAIM_IDLE_MS`: a job untouched this long is taken from its (dead) worker.
    pub reclaim_idle: Duration,
    /// `FIB_MAX_DELIVERIES`: deliveries before a job is marked failed.
    pub max_deliveries: u64,
    /// `FIB_FAILURE_SECS`: how long a failed index stays failed.
    pub failure_memory: Duration,
}

pub fn queue(env: &impl Lookup) -> Result<QueueSettings, ConfigError> {
    let positive = |variable: &'static str, value: u64| {
        if value == 0 {
            Err(ConfigError::new(variable, "must be at least 1"))
        } else {
            Ok(value)
        }
    };
    Ok(QueueSettings {
        queue_limit: positive(
            "FIB_QUEUE_LIMIT",
            parse_or(env, "FIB_QUEUE_LIMIT", 100_000, "a whole number")?,
        )?,
        cache_bytes: positive(
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

/// `LOG_FORMAT`: `json` for containers, anything else human.
pub fn json_logs(env: &impl Lookup) -> bool {
    get(env, "LOG_FORMAT").is_some_and(|format| format.trim().eq_ignore_ascii_case("json"))
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
    fn defaults_apply_when_unset() {
        let empty = env(&[]);
        assert_eq!(index_policy(&empty).map(|p| p.max()), Ok(1_000_000));
        assert_eq!(port(&empty, 5000), Ok(5000));
        let queue = queue(&empty).expect("defaults are valid");
        assert_eq!(queue.max_deliveries, 3);
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
    fn redis_password_is_redacted() {
        let redis =
            redis(&env(&[("REDIS_HOST", "r"), ("REDIS_PASSWORD", "hunter2")])).expect("valid");
        assert!(!format!("{redis:?}").contains("hunter2"));
    }
}
