//! Postgres from the distribution's packages: found, given a cluster, started on a port.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::process::running_as_root;

#[derive(Debug, thiserror::Error)]
pub enum PostgresError {
    #[error(
        "Postgres is not installed: apt-get install postgresql (or set PG_BIN to its bin directory)"
    )]
    NotInstalled,
    #[error("cannot hand {} to the postgres user: {reason}", .path.display())]
    Chown { path: PathBuf, reason: String },
    #[error("initdb failed: {0}")]
    Initdb(String),
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// An installed Postgres: the newest major under /usr/lib/postgresql (Debian and Ubuntu keep each
/// in its own folder), or `PG_BIN` when set.
#[derive(Debug, Clone)]
pub struct Postgres {
    bin: PathBuf,
}

impl Postgres {
    pub fn find() -> Result<Self, PostgresError> {
        if let Some(dir) = std::env::var_os("PG_BIN") {
            let bin = PathBuf::from(dir);
            return if bin.join("postgres").exists() {
                Ok(Self { bin })
            } else {
                Err(PostgresError::NotInstalled)
            };
        }
        let mut majors: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
            .map_err(|_| PostgresError::NotInstalled)?
            .filter_map(|entry| {
                let entry = entry.ok()?;
                let major = entry.file_name().to_str()?.parse().ok()?;
                Some((major, entry.path().join("bin")))
            })
            .filter(|(_, bin)| bin.join("postgres").exists())
            .collect();
        majors.sort();
        let (_, bin) = majors.pop().ok_or(PostgresError::NotInstalled)?;
        Ok(Self { bin })
    }

    /// A client tool (`psql`, `pg_isready`), run as whoever runs this.
    pub fn client(&self, program: &str) -> Command {
        Command::new(self.bin.join(program))
    }

    /// A server tool (`initdb`, `postgres`), run as the `postgres` user when this runs as root:
    /// Postgres refuses root. `setpriv` execs the tool in place, so a pid held for it is the
    /// server's own and signals reach it directly.
    pub fn as_owner(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if running_as_root() {
            let mut command = Command::new("setpriv");
            command
                .args(["--reuid=postgres", "--regid=postgres", "--init-groups"])
                .arg(path);
            command
        } else {
            Command::new(path)
        }
    }

    /// Gives `path` (and what is in it) to the `postgres` user when this runs as root.
    pub fn hand_over(&self, path: &Path) -> Result<(), PostgresError> {
        if !running_as_root() {
            return Ok(());
        }
        let output = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(path)
            .output()?;
        if output.status.success() {
            Ok(())
        } else {
            Err(PostgresError::Chown {
                path: path.to_owned(),
                reason: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            })
        }
    }

    /// Whether the server's user can enter `dir` (a checkout under /root, a private temp dir:
    /// it cannot).
    pub fn owner_can_reach(&self, dir: &Path) -> bool {
        if !running_as_root() {
            return true;
        }
        Command::new("setpriv")
            .args([
                "--reuid=postgres",
                "--regid=postgres",
                "--init-groups",
                "test",
                "-x",
            ])
            .arg(dir)
            .status()
            .is_ok_and(|status| status.success())
    }

    /// A new cluster in `data`, trusting local logins as `postgres`.
    pub fn initdb(&self, data: &Path) -> Result<(), PostgresError> {
        let output = self
            .as_owner("initdb")
            .arg("-D")
            .arg(data)
            .args([
                "--no-sync",
                "--auth=trust",
                "--username=postgres",
                "--encoding=UTF8",
            ])
            .output()?;
        if output.status.success() {
            Ok(())
        } else {
            Err(PostgresError::Initdb(
                String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            ))
        }
    }

    /// The server on 127.0.0.1:`port`, its socket in `socket_dir`; `settings` are `-c` options.
    pub fn server(&self, data: &Path, port: u16, socket_dir: &Path, settings: &[&str]) -> Command {
        let mut command = self.as_owner("postgres");
        command
            .arg("-D")
            .arg(data)
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-k"])
            .arg(socket_dir);
        for setting in settings {
            command.args(["-c", setting]);
        }
        command
    }

    /// Whether the server on `port` accepts connections (`pg_isready`).
    pub fn is_ready(&self, port: u16) -> bool {
        self.client("pg_isready")
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-q"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }
}

/// For throwaway clusters (tests, benchmarks): durability off, which a crash may cost, for speed.
pub const THROWAWAY: &[&str] = &[
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
];
