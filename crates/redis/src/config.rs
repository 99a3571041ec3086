//! Where Redis is, and the connections each role needs.

use std::fmt;
use std::time::Duration;

use fibstack_core::BackendError;
use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::{AsyncConnectionConfig, Client, ConnectionAddr, IntoConnectionInfo};

use crate::errors::classify;

/// `REDIS_HOST`, `REDIS_PORT` and `REDIS_PASSWORD`, read once at start by the caller.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisConfig {
    pub host: String,
    pub port: u16,
    pub password: Option<String>,
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Commands on the shared connection fail after this long, so a stalled Redis becomes a quick 503.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(1);

impl RedisConfig {
    pub fn client(&self) -> Result<Client, BackendError> {
        let mut info = ConnectionAddr::Tcp(self.host.clone(), self.port)
            .into_connection_info()
            .map_err(classify)?;
        if let Some(password) = &self.password {
            let settings = info.redis_settings().clone().set_password(password);
            info = info.set_redis_settings(settings);
        }
        Client::open(info).map_err(classify)
    }

    /// The shared connection for short commands; it reconnects by itself after Redis returns.
    pub fn connection_manager(&self) -> Result<ConnectionManager, BackendError> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECTION_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(1));
        ConnectionManager::new_lazy_with_config(self.client()?, config).map_err(classify)
    }

    /// One PING on a fresh connection: is Redis reachable from here? (worker health checks)
    pub async fn ping(&self) -> Result<(), BackendError> {
        let mut connection = self.blocking_connection(Duration::ZERO).await?;
        redis::cmd("PING")
            .query_async::<String>(&mut connection)
            .await
            .map(drop)
            .map_err(classify)
    }

    /// A connection of its own for one blocking read, whose answer may take `block` to come.
    pub async fn blocking_connection(
        &self,
        block: Duration,
    ) -> Result<MultiplexedConnection, BackendError> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECTION_TIMEOUT))
            .set_response_timeout(Some(block + RESPONSE_TIMEOUT));
        self.client()?
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(classify)
    }
}
