//! Where Redis is, how to reach it (TLS, login), and the connections each role needs.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use fibstack_core::pem::holds_pem_certificate;
use fibstack_core::{BackendError, Service};
use redis::aio::{AsyncPushSender, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::{ClusterClient, ClusterClientBuilder, ClusterConfig};
use redis::cluster_async::ClusterConnection;
use redis::{
    AsyncConnectionConfig, Client, ConnectionAddr, ConnectionInfo, IntoConnectionInfo,
    ProtocolVersion,
};

use crate::connection::RedisConnection;
use crate::errors::{CHECK_CA_FILE, classify};

/// `REDIS_HOST`, `REDIS_PORT`, `REDIS_TLS`, `REDIS_CA_FILE`, `REDIS_USERNAME`,
/// `REDIS_PASSWORD` and `REDIS_CLUSTER`, read once at start by the caller.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisConfig {
    pub host: String,
    pub port: u16,
    /// An ACL user (ElastiCache RBAC); `None` logs in as the default user.
    pub username: Option<String>,
    /// The user's password, or the AUTH token alone.
    pub password: Option<String>,
    pub tls: Option<RedisTls>,
    /// The endpoint is one node of a Redis Cluster (ElastiCache cluster mode, or Serverless's
    /// endpoint): the others are found from it.
    pub cluster: bool,
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
            .field("cluster", &self.cluster)
            .finish()
    }
}

/// Commands on the shared connection fail after this long, so a stalled Redis becomes a quick 503.
pub(crate) const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
pub(crate) const CONNECTION_TIMEOUT: Duration = Duration::from_secs(1);

impl RedisConfig {
    /// Plain TCP to `host:port` with no login: the local and test setups.
    pub fn plain(host: impl Into<String>, port: u16) -> RedisConfig {
        RedisConfig {
            host: host.into(),
            port,
            username: None,
            password: None,
            tls: None,
            cluster: false,
        }
    }

    /// `host:port`, and whether the connection is encrypted, for the log.
    pub fn describe(&self) -> String {
        let shape = if self.cluster {
            "Redis Cluster"
        } else {
            "Redis"
        };
        let tls = if self.tls.is_some() { " over TLS" } else { "" };
        format!("{shape} at {}:{}{tls}", self.host, self.port)
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

    /// The certificates to trust instead of the system's, when `REDIS_CA_FILE` names them. An
    /// unreadable file is a refusal, found here at start.
    fn certificates(&self) -> Result<Option<redis::TlsCertificates>, BackendError> {
        match self.tls.as_ref().and_then(|tls| tls.ca_file.as_deref()) {
            Some(ca_file) => Ok(Some(redis::TlsCertificates {
                client_tls: None,
                root_cert: Some(read_ca_file(ca_file)?),
            })),
            None => Ok(None),
        }
    }

    /// A client for this Redis as a single node.
    pub fn client(&self) -> Result<Client, BackendError> {
        let info = self.connection_info()?;
        match self.certificates()? {
            Some(certificates) => Client::build_with_tls(info, certificates).map_err(classify),
            None => Client::open(info).map_err(classify),
        }
    }

    /// A client for this Redis as a cluster, found from its one configured node.
    fn cluster_client(&self, protocol: ProtocolVersion) -> Result<ClusterClient, BackendError> {
        let mut builder = ClusterClientBuilder::new(vec![self.connection_info()?])
            .use_protocol(protocol)
            .connection_timeout(CONNECTION_TIMEOUT)
            .retries(2);
        if let Some(username) = &self.username {
            builder = builder.username(username);
        }
        if let Some(password) = &self.password {
            builder = builder.password(password);
        }
        if let Some(certificates) = self.certificates()? {
            builder = builder.certs(certificates);
        }
        builder.build().map_err(classify)
    }

    /// A cluster connection whose commands may take `response` to answer; it connects on its
    /// first command, so a cluster that is down is found then, not here.
    fn cluster_connection(
        &self,
        response: Duration,
        protocol: ProtocolVersion,
        config: ClusterConfig,
    ) -> Result<ClusterConnection, BackendError> {
        let config = config
            .set_connection_timeout(CONNECTION_TIMEOUT)
            .set_response_timeout(response);
        Ok(self
            .cluster_client(protocol)?
            .get_pending_async_connection_with_config(config))
    }

    /// The shared connection for short commands; it reconnects by itself after Redis returns.
    pub fn shared_connection(&self) -> Result<RedisConnection, BackendError> {
        if self.cluster {
            return Ok(RedisConnection::Cluster {
                connection: self.cluster_connection(
                    RESPONSE_TIMEOUT,
                    ProtocolVersion::RESP2,
                    ClusterConfig::new(),
                )?,
                seed: self.client()?,
            });
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECTION_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(1));
        ConnectionManager::new_lazy_with_config(self.client()?, config)
            .map(RedisConnection::Node)
            .map_err(classify)
    }

    /// A cluster connection that hands every push (Pub/Sub messages, subscription changes) to
    /// `push`, and subscribes again by itself after failovers. Cluster mode only.
    pub(crate) fn cluster_subscriber(
        &self,
        push: impl AsyncPushSender,
    ) -> Result<ClusterConnection, BackendError> {
        // Pushes arrive only over RESP3.
        let config = ClusterConfig::new().set_push_sender(push);
        self.cluster_connection(RESPONSE_TIMEOUT, ProtocolVersion::RESP3, config)
    }

    /// One PING on a fresh connection: is Redis reachable from here? (worker health checks)
    pub async fn ping(&self) -> Result<(), BackendError> {
        let mut connection = self.blocking_connection(Duration::ZERO).await?;
        match redis::cmd("PING")
            .query_async::<String>(&mut connection)
            .await
        {
            Ok(_) => Ok(()),
            Err(error) => Err(connection.explain(error).await),
        }
    }

    /// A connection of its own for one blocking read, whose answer may take `block` to come.
    pub async fn blocking_connection(
        &self,
        block: Duration,
    ) -> Result<RedisConnection, BackendError> {
        if self.cluster {
            return Ok(RedisConnection::Cluster {
                connection: self.cluster_connection(
                    block + RESPONSE_TIMEOUT,
                    ProtocolVersion::RESP2,
                    ClusterConfig::new(),
                )?,
                seed: self.client()?,
            });
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECTION_TIMEOUT))
            .set_response_timeout(Some(block + RESPONSE_TIMEOUT));
        self.client()?
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map(RedisConnection::Direct)
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
    if !holds_pem_certificate(&bytes) {
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
