//! A throwaway Postgres cluster: initdb into a temp dir, one server on a free port.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::process::{Service, free_port, running_as_root, wait_for};
use super::tls::TestCerts;

/// The password of the `postgres` user when only TLS logins are accepted.
pub const TLS_PASSWORD: &str = "tls-test-password";

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
    /// Set when the server accepts only TLS connections with a password (`start_tls`).
    pub tls: Option<TestCerts>,
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
        TestPostgres::start_with(dir, false)
    }

    /// A server as RDS runs one (`rds.force_ssl`): TCP logins only over TLS, with a password
    /// (`hostssl … scram-sha-256`), its certificate signed by the test CA in `tls`.
    pub fn start_tls(dir: &Path) -> TestPostgres {
        TestPostgres::start_with(dir, true)
    }

    fn start_with(dir: &Path, tls: bool) -> TestPostgres {
        let root = dir.join("postgres");
        std::fs::create_dir_all(&root).expect("create the Postgres dir");
        // Before the chown: the server's key must belong to the user it runs as.
        let certs = tls.then(|| TestCerts::write(&root.join("tls")));
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
        if let Some(certs) = &certs {
            let conf = format!(
                "ssl = on\nssl_cert_file = '{}'\nssl_key_file = '{}'\n",
                certs.server_cert.display(),
                certs.server_key.display()
            );
            append(&data.join("postgresql.conf"), &conf);
            // Only the socket (for setting the password) or TLS with a password: a plain TCP
            // login is refused with "no pg_hba.conf entry … no encryption", as on RDS.
            std::fs::write(
                data.join("pg_hba.conf"),
                "local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n",
            )
            .expect("write pg_hba.conf");
        }
        let mut postgres = TestPostgres {
            port: free_port(),
            tls: certs,
            log: root.join("postgres.log"),
            data,
            server: None,
        };
        postgres.start_again();
        if postgres.tls.is_some() {
            let status = postgres
                .psql_on_socket()
                .args([
                    "-c",
                    &format!("ALTER USER postgres PASSWORD '{TLS_PASSWORD}'"),
                ])
                .status()
                .expect("psql runs");
            assert!(status.success(), "cannot set the postgres user's password");
        }
        postgres
    }

    /// psql as the superuser over the server's Unix socket (trusted in every setup).
    fn psql_on_socket(&self) -> Command {
        let mut command = as_owner("psql");
        command
            .arg("-h")
            .arg(self.data.parent().unwrap_or(Path::new("/tmp")))
            .args([
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-qX",
            ]);
        command
    }

    /// psql as the superuser over TCP, with TLS and the password when the server wants them.
    pub fn psql(&self) -> Command {
        let mut command = Command::new(bin_dir().join("psql"));
        command.args(["-h", "127.0.0.1", "-p", &self.port.to_string()]);
        command.args(["-U", "postgres", "-d", "postgres"]);
        if self.tls.is_some() {
            command
                .env("PGSSLMODE", "require")
                .env("PGPASSWORD", TLS_PASSWORD);
        }
        command
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

fn append(path: &Path, text: &str) {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .and_then(|mut file| file.write_all(text.as_bytes()))
        .unwrap_or_else(|error| panic!("cannot append to {}: {error}", path.display()));
}
