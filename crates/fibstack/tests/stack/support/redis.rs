//! A throwaway Redis on a free port, without persistence: a restart is a wipe, the hardest case.
//! Or Redis as ElastiCache runs it with in-transit encryption and RBAC: TLS only (no plain port),
//! the default user off, one ACL user with a password.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::process::{Service, free_port, wait_for};
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
        };
        redis.start_again();
        redis
    }

    pub fn start_again(&mut self) {
        let mut command = Command::new("redis-server");
        command
            .args(["--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&self.dir);
        match &self.tls {
            None => {
                command.args(["--port", &self.port.to_string()]);
            }
            Some(certs) => {
                command
                    .args(["--port", "0", "--tls-port", &self.port.to_string()])
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
        }
        self.server = Some(Service::spawn(
            "redis",
            command,
            &self.dir.join("redis.log"),
        ));
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

    pub fn client(&self) -> redis::Client {
        match &self.tls {
            None => redis::Client::open(format!("redis://127.0.0.1:{}/", self.port))
                .expect("valid Redis URL"),
            Some(certs) => {
                let url = format!(
                    "rediss://{TLS_USER}:{TLS_PASSWORD}@127.0.0.1:{}/",
                    self.port
                );
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
        env
    }

    pub fn connection(&self) -> redis::Connection {
        self.client().get_connection().expect("Redis is up")
    }

    /// Jobs a worker holds without having acknowledged them.
    pub fn pending_jobs(&self) -> u64 {
        let summary: redis::Value = redis::cmd("XPENDING")
            .arg("fib:jobs")
            .arg("workers")
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
            .arg("fib:jobs")
            .query(&mut self.connection())
            .expect("XLEN answers")
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        self.stop();
    }
}
