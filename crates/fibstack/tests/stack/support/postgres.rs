//! A throwaway Postgres cluster: initdb into a temp dir, one server on a free port.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::process::{Service, free_port, running_as_root, wait_for};

/// The newest installed Postgres (Debian and Ubuntu keep each major in its own directory), or
/// `PG_BIN` when set.
fn bin_dir() -> std::path::PathBuf {
    if let Some(dir) = std::env::var_os("PG_BIN") {
        return dir.into();
    }
    let mut majors: Vec<(u32, std::path::PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("Postgres is installed under /usr/lib/postgresql (or set PG_BIN)")
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let major = entry.file_name().to_str()?.parse().ok()?;
            Some((major, entry.path().join("bin")))
        })
        .filter(|(_, bin)| bin.join("postgres").exists())
        .collect();
    majors.sort();
    majors
        .pop()
        .expect("a Postgres server under /usr/lib/postgresql")
        .1
}

#[derive(Debug)]
pub struct TestPostgres {
    pub port: u16,
    data: PathBuf,
    log: PathBuf,
    server: Option<Service>,
}

/// Runs a Postgres tool as the `postgres` user when the test runs as root. `setpriv` execs the
/// tool in place, so the pid we hold is the server's own and signals reach it directly.
fn as_owner(program: &str) -> Command {
    let path = bin_dir().join(program);
    if running_as_root() {
        let mut command = Command::new("setpriv");
        command
            .args(["--reuid=postgres", "--regid=postgres", "--init-groups"])
            .arg(&path);
        command
    } else {
        Command::new(path)
    }
}

impl TestPostgres {
    pub fn start(dir: &Path) -> TestPostgres {
        let root = dir.join("postgres");
        std::fs::create_dir_all(&root).expect("create the Postgres dir");
        if running_as_root() {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir)
                .status()
                .expect("chown runs");
            assert!(
                status.success(),
                "cannot hand the temp dir to the postgres user"
            );
        }
        let data = root.join("data");
        let output = as_owner("initdb")
            .arg("-D")
            .arg(&data)
            .args([
                "--no-sync",
                "--auth=trust",
                "--username=postgres",
                "--encoding=UTF8",
            ])
            .output()
            .expect("initdb runs (is Postgres 15 installed?)");
        assert!(
            output.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let mut postgres = TestPostgres {
            port: free_port(),
            log: root.join("postgres.log"),
            data,
            server: None,
        };
        postgres.start_again();
        postgres
    }

    /// Starts the server (again) on the same port and data.
    pub fn start_again(&mut self) {
        let mut command = as_owner("postgres");
        command
            .arg("-D")
            .arg(&self.data)
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-k"])
            .arg(self.data.parent().unwrap_or(Path::new("/tmp")))
            .args([
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ]);
        self.server = Some(Service::spawn("postgres", command, &self.log));
        let port = self.port.to_string();
        wait_for(
            "Postgres to accept connections",
            Duration::from_secs(30),
            || {
                Command::new(bin_dir().join("pg_isready"))
                    .args(["-h", "127.0.0.1", "-p", &port, "-q"])
                    .status()
                    .ok()
                    .filter(|status| status.success())
            },
        );
    }

    /// Stops the server (fast shutdown, as `pg_ctl stop` does); `start_again` brings it back.
    pub fn stop(&mut self) {
        if let Some(mut server) = self.server.take() {
            // SIGINT is Postgres' fast shutdown, what `pg_ctl stop` sends.
            server.signal("INT");
            if server.wait_exit(Duration::from_secs(20)).is_none() {
                server.kill_hard();
            }
        }
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        self.stop();
    }
}
