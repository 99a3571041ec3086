//! A throwaway Redis on a free port, without persistence: a restart is a wipe, the hardest case.
//! Or Redis as ElastiCache runs it with in-transit encryption and RBAC: TLS only (no plain port),
//! the default user off, one ACL user with a password.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use fibstack_redis::keys;

use super::process::{Service, claim, free_port, spawn, wait_for};
use super::tls::TestCerts;

/// The ACL user of the TLS Redis, and its password.
pub const TLS_USER: &str = "fibstack";
pub const TLS_PASSWORD: &str = "redis-test-password";

#[derive(Debug)]
pub struct TestRedis {
    pub port: u16,
    dir: PathBuf,
    server: Option<Service>,
    /// Set when this Redis speaks only TLS and only to [`TLS_USER`].
    pub tls: Option<TestCerts>,
    /// Set when this is a Redis Cluster: `port` is its first master, these are all its nodes.
    pub cluster: Option<Vec<ClusterNode>>,
}

/// One node of a test Redis Cluster.
#[derive(Debug)]
pub struct ClusterNode {
    pub port: u16,
    /// Held so the node stops when the cluster is dropped.
    _server: Service,
}

/// A free port whose cluster bus port (port + 10000) is free too.
fn free_cluster_port() -> u16 {
    loop {
        let port = free_port();
        if port <= 55535
            && std::net::TcpListener::bind(("127.0.0.1", port + 10000)).is_ok()
            && claim(port + 10000)
        {
            return port;
        }
    }
}

impl TestRedis {
    pub fn start(dir: &Path) -> TestRedis {
        TestRedis::start_with(dir, None)
    }

    /// TLS only, with a certificate for 127.0.0.1 from a test CA, and the one ACL user.
    pub fn start_tls(dir: &Path) -> TestRedis {
        let certs = TestCerts::write(&dir.join("redis-tls"));
        TestRedis::start_with(dir, Some(certs))
    }

    fn start_with(dir: &Path, tls: Option<TestCerts>) -> TestRedis {
        let dir = dir.join("redis");
        std::fs::create_dir_all(&dir).expect("create the Redis dir");
        let mut redis = TestRedis {
            port: free_port(),
            dir,
            server: None,
            tls,
            cluster: None,
        };
        redis.start_again();
        redis
    }

    /// A Redis Cluster as ElastiCache Serverless runs one: TLS only (the cluster bus too), the
    /// default user off, the ACL user; `masters` masters, each with `replicas` replicas.
    pub fn start_cluster(dir: &Path, masters: usize, replicas: usize) -> TestRedis {
        let certs = TestCerts::write(&dir.join("redis-tls"));
        let root = dir.join("redis-cluster");
        let mut nodes = Vec::new();
        for _ in 0..masters * (1 + replicas) {
            let port = free_cluster_port();
            let node_dir = root.join(port.to_string());
            std::fs::create_dir_all(&node_dir).expect("create a node's dir");
            let mut command = fibstack_devstack::redis::server(&node_dir);
            command
                .args(["--save", "", "--appendonly", "no"])
                .args(["--cluster-enabled", "yes", "--cluster-node-timeout", "2000"])
                .args(["--tls-cluster", "yes", "--tls-replication", "yes"])
                .args(["--masteruser", TLS_USER, "--masterauth", TLS_PASSWORD]);
            tls_only(&mut command, port, &certs);
            let server = spawn("redis-node", command, &node_dir.join("redis.log"));
            nodes.push(ClusterNode {
                port,
                _server: server,
            });
        }
        let mut redis = TestRedis {
            port: nodes[0].port,
            dir: root,
            server: None,
            tls: Some(certs),
            cluster: None,
        };
        for node in &nodes {
            let client = redis.client_at(node.port);
            wait_for(
                "a cluster node to answer PING",
                Duration::from_secs(10),
                || {
                    let mut connection = client.get_connection().ok()?;
                    redis::cmd("PING").query::<String>(&mut connection).ok()
                },
            );
        }
        let certs = redis.tls.clone().expect("set above");
        let created = Command::new("redis-cli")
            .args(["--tls", "--cacert"])
            .arg(&certs.ca)
            .args([
                "--user",
                TLS_USER,
                "--pass",
                TLS_PASSWORD,
                "--no-auth-warning",
            ])
            .arg("--cluster")
            .arg("create")
            .args(nodes.iter().map(|node| format!("127.0.0.1:{}", node.port)))
            .args(["--cluster-replicas", &replicas.to_string(), "--cluster-yes"])
            .output()
            .expect("redis-cli runs");
        assert!(
            created.status.success(),
            "redis-cli --cluster create failed:\n{}{}",
            String::from_utf8_lossy(&created.stdout),
            String::from_utf8_lossy(&created.stderr)
        );
        let ports: Vec<u16> = nodes.iter().map(|node| node.port).collect();
        redis.cluster = Some(nodes);
        for port in ports {
            let client = redis.client_at(port);
            wait_for(
                "every node to see the cluster ok",
                Duration::from_secs(30),
                || {
                    let mut connection = client.get_connection().ok()?;
                    let info: String = redis::cmd("CLUSTER")
                        .arg("INFO")
                        .query(&mut connection)
                        .ok()?;
                    info.contains("cluster_state:ok").then_some(())
                },
            );
        }
        redis
    }

    pub fn start_again(&mut self) {
        let mut command = fibstack_devstack::redis::server(&self.dir);
        command.args(["--save", "", "--appendonly", "no"]);
        match &self.tls {
            None => {
                command.args(["--port", &self.port.to_string()]);
            }
            Some(certs) => tls_only(&mut command, self.port, certs),
        }
        self.server = Some(spawn("redis", command, &self.dir.join("redis.log")));
        let client = self.client();
        wait_for("Redis to answer PING", Duration::from_secs(10), || {
            let mut connection = client.get_connection().ok()?;
            redis::cmd("PING").query::<String>(&mut connection).ok()
        });
    }

    pub fn stop(&mut self) {
        if let Some(mut server) = self.server.take() {
            server.kill_hard();
        }
    }

    /// A client of the node that holds fibstack's keys (in a cluster, the master of `{fib}`).
    pub fn client(&self) -> redis::Client {
        match &self.cluster {
            None => self.client_at(self.port),
            Some(_) => self.client_at(self.master_of_fibstack_keys()),
        }
    }

    /// The port of the master that serves the slot of `{fib}`, as the cluster says now.
    pub fn master_of_fibstack_keys(&self) -> u16 {
        let mut connection = self
            .client_at(self.port)
            .get_connection()
            .expect("a cluster node is up");
        let slot: i64 = redis::cmd("CLUSTER")
            .arg("KEYSLOT")
            .arg("{fib}")
            .query(&mut connection)
            .expect("CLUSTER KEYSLOT answers");
        // Each range: [first slot, last slot, [master's ip, port, id], replicas…].
        let ranges: Vec<Vec<redis::Value>> = redis::cmd("CLUSTER")
            .arg("SLOTS")
            .query(&mut connection)
            .expect("CLUSTER SLOTS answers");
        let int = |value: Option<&redis::Value>| match value {
            Some(redis::Value::Int(n)) => Some(*n),
            _ => None,
        };
        ranges
            .iter()
            .find(|range| {
                matches!((int(range.first()), int(range.get(1))),
                    (Some(first), Some(last)) if (first..=last).contains(&slot))
            })
            .and_then(|range| match range.get(2) {
                Some(redis::Value::Array(master)) => u16::try_from(int(master.get(1))?).ok(),
                _ => None,
            })
            .expect("a master serves the slot of {fib}")
    }

    /// A replica of the master on `master_port` whose replication link is up. Right after the
    /// cluster forms a replica may still be syncing (and a manual failover to it is refused), so
    /// this waits for one.
    pub fn replica_of(&self, master_port: u16) -> u16 {
        let nodes = self.cluster.as_ref().expect("a cluster");
        let master_line = format!("master_port:{master_port}\r\n");
        wait_for(
            "a replica in sync with the master of {fib}",
            Duration::from_secs(30),
            || {
                nodes.iter().map(|node| node.port).find(|&port| {
                    let info = self.info_replication(port);
                    info.contains(&master_line) && info.contains("master_link_status:up")
                })
            },
        )
    }

    /// Makes the replica on `replica_port` take over from its master (`CLUSTER FAILOVER`).
    pub fn fail_over_to(&self, replica_port: u16) {
        let mut connection = self
            .client_at(replica_port)
            .get_connection()
            .expect("the replica is up");
        let _: () = redis::cmd("CLUSTER")
            .arg("FAILOVER")
            .query(&mut connection)
            .expect("CLUSTER FAILOVER is accepted");
    }

    fn info_replication(&self, port: u16) -> String {
        let Ok(mut connection) = self.client_at(port).get_connection() else {
            return String::new();
        };
        redis::cmd("INFO")
            .arg("replication")
            .query(&mut connection)
            .unwrap_or_default()
    }

    fn client_at(&self, port: u16) -> redis::Client {
        match &self.tls {
            None => {
                redis::Client::open(format!("redis://127.0.0.1:{port}/")).expect("valid Redis URL")
            }
            Some(certs) => {
                let url = format!("rediss://{TLS_USER}:{TLS_PASSWORD}@127.0.0.1:{port}/");
                let certificates = redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(std::fs::read(&certs.ca).expect("the test CA")),
                };
                redis::Client::build_with_tls(url, certificates).expect("valid Redis URL")
            }
        }
    }

    /// The variables that make fibstack reach this Redis.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("REDIS_HOST", "127.0.0.1".to_owned()),
            ("REDIS_PORT", self.port.to_string()),
        ];
        if let Some(certs) = &self.tls {
            env.extend([
                ("REDIS_TLS", "true".to_owned()),
                ("REDIS_CA_FILE", certs.ca.display().to_string()),
                ("REDIS_USERNAME", TLS_USER.to_owned()),
                ("REDIS_PASSWORD", TLS_PASSWORD.to_owned()),
            ]);
        }
        if self.cluster.is_some() {
            env.push(("REDIS_CLUSTER", "true".to_owned()));
        }
        env
    }

    pub fn connection(&self) -> redis::Connection {
        self.client().get_connection().expect("Redis is up")
    }

    /// Jobs a worker holds without having acknowledged them.
    pub fn pending_jobs(&self) -> u64 {
        let summary: redis::Value = redis::cmd("XPENDING")
            .arg(keys::JOBS)
            .arg(keys::GROUP)
            .query(&mut self.connection())
            .unwrap_or(redis::Value::Nil);
        match summary {
            redis::Value::Array(items) => match items.first() {
                Some(redis::Value::Int(n)) => *n as u64,
                _ => 0,
            },
            _ => 0,
        }
    }

    /// Jobs waiting or running.
    pub fn queue_length(&self) -> u64 {
        redis::cmd("XLEN")
            .arg(keys::JOBS)
            .query(&mut self.connection())
            .expect("XLEN answers")
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Redis as ElastiCache runs it with in-transit encryption: no plain port, and of the users only
/// [`TLS_USER`].
fn tls_only(command: &mut Command, port: u16, certs: &TestCerts) {
    command
        .args(["--port", "0", "--tls-port", &port.to_string()])
        .arg("--tls-cert-file")
        .arg(&certs.server_cert)
        .arg("--tls-key-file")
        .arg(&certs.server_key)
        .arg("--tls-ca-cert-file")
        .arg(&certs.ca)
        .args(["--tls-auth-clients", "no"])
        .args(["--user", "default", "off"])
        .args(["--user", TLS_USER, "on"])
        .arg(format!(">{TLS_PASSWORD}"))
        .args(["~*", "&*", "+@all"]);
}
