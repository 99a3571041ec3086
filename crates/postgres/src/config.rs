//! Connection settings, with the password kept out of `Debug` and logs.

use std::fmt;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgSslMode};

/// Where Postgres is and how to log in: the libpq variables, read once at start by the caller.
#[derive(Clone)]
pub struct PgConfig {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<String>,
    pub database: String,
    /// `PGSSLMODE` (`disable`, `prefer`, `require`, `verify-full`, …); `prefer` when unset.
    pub ssl_mode: PgSslMode,
}

impl fmt::Debug for PgConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("database", &self.database)
            .field("ssl_mode", &self.ssl_mode)
            .finish()
    }
}

/// Connections per process: enough for concurrent requests on a small machine, few enough that
/// several replicas stay far below Postgres' default `max_connections` of 100.
const POOL_SIZE: u32 = 16;
/// How long a request waits for a connection before the api answers 503.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

impl PgConfig {
    fn connect_options(&self) -> PgConnectOptions {
        let options = PgConnectOptions::new_without_pgpass()
            .host(&self.host)
            .port(self.port)
            .username(&self.user)
            .database(&self.database)
            .ssl_mode(self.ssl_mode)
            .application_name("fibstack");
        match &self.password {
            Some(password) => options.password(password),
            None => options,
        }
    }

    /// A pool that connects on first use, so a process starts (and reports itself unready)
    /// while Postgres is still down, instead of crashing.
    pub fn lazy_pool(&self) -> PgPool {
        PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_lazy_with(self.connect_options())
    }
}
