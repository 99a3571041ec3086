//! A throwaway Redis on a free port, without persistence: a restart is a wipe, the hardest case.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::process::{Service, free_port, wait_for};

#[derive(Debug)]
pub struct TestRedis {
    pub port: u16,
    dir: PathBuf,
    server: Option<Service>,
}

impl TestRedis {
    pub fn start(dir: &Path) -> TestRedis {
        let dir = dir.join("redis");
        std::fs::create_dir_all(&dir).expect("create the Redis dir");
        let mut redis = TestRedis {
            port: free_port(),
            dir,
            server: None,
        };
        redis.start_again();
        redis
    }

    pub fn start_again(&mut self) {
        let mut command = Command::new("redis-server");
        command
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&self.dir);
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
        redis::Client::open(format!("redis://127.0.0.1:{}/", self.port)).expect("valid Redis URL")
    }

    pub fn connection(&self) -> redis::Connection {
        self.client().get_connection().expect("Redis is up")
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
