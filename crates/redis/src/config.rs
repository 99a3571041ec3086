//! Where Redis is, how to reach it (TLS, login), and the connections each role needs.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use fibstack_core::{BackendError, Service};
use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::{AsyncConnectionConfig, Client, ConnectionAddr, ConnectionInfo, IntoConnectionInfo};

use crate::errors::{CHECK_CA_FILE, classify};

/// `REDIS_HOST`, `REDIS_PORT`, `REDIS_TLS`, `REDIS_CA_FILE`, `REDIS_USERNAME` and
/// `REDIS_PASSWORD`, read once at start by the caller.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisConfig {
    pub host: String,
    pub port: u16,
    /// An ACL user (ElastiCache RBAC); `None` logs in as the default user.
    pub username: Option<String>,
    /// The user's password, or the AUTH token alone.
    pub password: Option<String>,
    pub tls: Option<RedisTls>,
}

/// TLS to Redis, verifying the server's certificate and name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RedisTls {
    /// PEM file of the CA certificates to trust instead of the system's roots.
    pub ca_file: Option<PathBuf>,
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("tls", &self.tls)
            .finish()
    }
}

/// Commands on the shared connection fail after this long, so a stalled Redis becomes a quick 503.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(1);

impl RedisConfig {
    /// Plain TCP to `host:port` with no login: the local and test setups.
    pub fn plain(host: impl Into<String>, port: u16) -> RedisConfig {
        RedisConfig {
            host: host.into(),
            port,
            username: None,
            password: None,
            tls: None,
        }
    }

    /// `host:port`, and whether the connection is encrypted, for the log.
    pub fn describe(&self) -> String {
        let tls = if self.tls.is_some() { " over TLS" } else { "" };
        format!("Redis at {}:{}{tls}", self.host, self.port)
    }

    fn connection_info(&self) -> Result<ConnectionInfo, BackendError> {
        let addr = match self.tls {
            Some(_) => ConnectionAddr::TcpTls {
                host: self.host.clone(),
                port: self.port,
                insecure: false,
                tls_params: None,
            },
            None => ConnectionAddr::Tcp(self.host.clone(), self.port),
        };
        let info = addr.into_connection_info().map_err(classify)?;
        let mut settings = info.redis_settings().clone();
        if let Some(username) = &self.username {
            settings = settings.set_username(username);
        }
        if let Some(password) = &self.password {
            settings = settings.set_password(password);
        }
        Ok(info.set_redis_settings(settings))
    }

    /// A client for this Redis. An unreadable `REDIS_CA_FILE` is a refusal, found here at start.
    pub fn client(&self) -> Result<Client, BackendError> {
        let info = self.connection_info()?;
        match self.tls.as_ref().and_then(|tls| tls.ca_file.as_deref()) {
            Some(ca_file) => {
                let certificates = redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(read_ca_file(ca_file)?),
                };
                Client::build_with_tls(info, certificates).map_err(classify)
            }
            None => Client::open(info).map_err(classify),
        }
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

/// The CA bundle's bytes; it must hold at least one PEM certificate.
fn read_ca_file(path: &Path) -> Result<Vec<u8>, BackendError> {
    let refused = |problem: String| BackendError::refused(Service::Redis, CHECK_CA_FILE, problem);
    let bytes = std::fs::read(path).map_err(|error| {
        refused(format!(
            "cannot read the CA file {}: {error}",
            path.display()
        ))
    })?;
    if !bytes
        .windows(b"-----BEGIN CERTIFICATE-----".len())
        .any(|window| window == b"-----BEGIN CERTIFICATE-----")
    {
        return Err(refused(format!(
            "{} holds no PEM certificate",
            path.display()
        )));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_ca_file(path: &Path) -> RedisConfig {
        RedisConfig {
            tls: Some(RedisTls {
                ca_file: Some(path.to_owned()),
            }),
            ..RedisConfig::plain("cache", 6379)
        }
    }

    fn refusal(result: Result<Client, BackendError>) -> String {
        match result {
            Err(error @ BackendError::Refused { .. }) => {
                let cause = std::error::Error::source(&error).map(ToString::to_string);
                format!("{error}: {}", cause.unwrap_or_default())
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_missing_ca_file_is_a_refusal_that_names_the_variable() {
        let line = refusal(with_ca_file(Path::new("/nonexistent/ca.pem")).client());
        assert!(line.contains("REDIS_CA_FILE"), "{line}");
        assert!(line.contains("/nonexistent/ca.pem"), "{line}");
    }

    #[test]
    fn a_ca_file_without_certificates_is_a_refusal() {
        let dir = std::env::temp_dir().join(format!("fibstack-redis-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temp dir");
        let path = dir.join("empty.pem");
        std::fs::write(&path, "not a certificate\n").expect("write");
        let line = refusal(with_ca_file(&path).client());
        std::fs::remove_dir_all(&dir).ok();
        assert!(line.contains("holds no PEM certificate"), "{line}");
    }

    #[test]
    fn the_password_never_reaches_the_debug_output() {
        let config = RedisConfig {
            username: Some("fibstack".to_owned()),
            password: Some("hunter2-token".to_owned()),
            ..RedisConfig::plain("cache", 6379)
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2-token"), "{shown}");
        assert!(shown.contains("fibstack"), "{shown}");
    }

    #[test]
    fn the_description_says_whether_tls_is_on() {
        assert_eq!(
            RedisConfig::plain("cache", 6379).describe(),
            "Redis at cache:6379"
        );
        let tls = RedisConfig {
            tls: Some(RedisTls::default()),
            ..RedisConfig::plain("cache", 6380)
        };
        assert_eq!(tls.describe(), "Redis at cache:6380 over TLS");
    }
}
