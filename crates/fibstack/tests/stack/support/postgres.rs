//! A throwaway Postgres cluster: initdb into a temp dir, one server on a free port.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use fibstack_devstack::postgres::{Postgres, THROWAWAY};

use super::process::{Service, free_port, spawn, wait_for};
use super::tls::TestCerts;

/// The password of the `postgres` user when only TLS logins are accepted.
pub const TLS_PASSWORD: &str = "tls-test-password";

/// The installed Postgres (the newest major, or `PG_BIN`).
fn installed() -> Postgres {
    Postgres::find().unwrap_or_else(|error| panic!("{error}"))
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
        // Before the handover: the server's key must belong to the user it runs as.
        let certs = tls.then(|| TestCerts::write(&root.join("tls")));
        let postgres = installed();
        postgres
            .hand_over(dir)
            .unwrap_or_else(|error| panic!("{error}"));
        let data = root.join("data");
        postgres
            .initdb(&data)
            .unwrap_or_else(|error| panic!("{error}"));
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
        let mut command = installed().as_owner("psql");
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
        let mut command = installed().client("psql");
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
        let postgres = installed();
        let socket_dir = self.data.parent().unwrap_or(Path::new("/tmp"));
        let command = postgres.server(&self.data, self.port, socket_dir, THROWAWAY);
        self.server = Some(spawn("postgres", command, &self.log));
        wait_for(
            "Postgres to accept connections",
            Duration::from_secs(30),
            || postgres.is_ready(self.port).then_some(()),
        );
    }

    /// Stops the server (fast shutdown, as `pg_ctl stop` does); `start_again` brings it back.
    pub fn stop(&mut self) {
        if let Some(mut server) = self.server.take() {
            // SIGINT is Postgres' fast shutdown, what `pg_ctl stop` sends.
            server.stop_with("INT", Duration::from_secs(20));
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
