//! One connection type for both shapes of Redis: a single node or a Redis Cluster. Everything
//! above it sends the same commands and scripts to either.

use fibstack_core::BackendError;
use redis::aio::{ConnectionLike, ConnectionManager, MultiplexedConnection};
use redis::cluster_async::ClusterConnection;
use redis::{AsyncConnectionConfig, Client, Cmd, Pipeline, RedisError, RedisFuture, Value};

use crate::config::{CONNECTION_TIMEOUT, RESPONSE_TIMEOUT};
use crate::errors::classify;

#[derive(Clone)]
pub enum RedisConnection {
    /// A single node, shared, reconnecting by itself after Redis returns.
    Node(ConnectionManager),
    /// A single node, a connection of its own (for blocking reads).
    Direct(MultiplexedConnection),
    /// A Redis Cluster: each command goes to the shard of its keys, and the connection follows
    /// the cluster through failovers. `seed` is the configured node alone, with the same TLS
    /// and login, to find out why the cluster cannot be reached (`RedisConnection::explain`).
    Cluster {
        connection: ClusterConnection,
        seed: Client,
    },
}

impl std::fmt::Debug for RedisConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RedisConnection::Node(_) => "RedisConnection::Node",
            RedisConnection::Direct(_) => "RedisConnection::Direct",
            RedisConnection::Cluster { .. } => "RedisConnection::Cluster",
        })
    }
}

impl ConnectionLike for RedisConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            RedisConnection::Node(connection) => connection.req_packed_command(cmd),
            RedisConnection::Direct(connection) => connection.req_packed_command(cmd),
            RedisConnection::Cluster { connection, .. } => connection.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            RedisConnection::Node(connection) => {
                connection.req_packed_commands(pipeline, offset, count)
            }
            RedisConnection::Direct(connection) => {
                connection.req_packed_commands(pipeline, offset, count)
            }
            RedisConnection::Cluster { connection, .. } => {
                connection.req_packed_commands(pipeline, offset, count)
            }
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            RedisConnection::Node(connection) => connection.get_db(),
            RedisConnection::Direct(connection) => connection.get_db(),
            RedisConnection::Cluster { connection, .. } => connection.get_db(),
        }
    }
}

impl RedisConnection {
    /// A command's `error` as a [`BackendError`]. A cluster connection that reaches no node
    /// answers only "no connections found" (the cluster client logs why and keeps it), so then
    /// one direct connection to the configured node asks again: a certificate that does not
    /// verify or a refused login is found, and stops the process as on a single node, instead
    /// of being waited out.
    pub(crate) async fn explain(&self, error: RedisError) -> BackendError {
        let classified = classify(error);
        match self {
            RedisConnection::Cluster { seed, .. }
                if matches!(classified, BackendError::Unavailable { .. }) =>
            {
                match ping_alone(seed).await {
                    Err(refused @ BackendError::Refused { .. }) => refused,
                    _ => classified,
                }
            }
            _ => classified,
        }
    }
}

/// One PING to one node on a connection of its own.
async fn ping_alone(node: &Client) -> Result<(), BackendError> {
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(CONNECTION_TIMEOUT))
        .set_response_timeout(Some(RESPONSE_TIMEOUT));
    let mut connection = node
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .map_err(classify)?;
    redis::cmd("PING")
        .query_async::<String>(&mut connection)
        .await
        .map(drop)
        .map_err(classify)
}
