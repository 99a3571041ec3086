//! Connection settings, with the password kept out of `Debug` and logs.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use fibstack_core::pem::holds_pem_certificate;
use fibstack_core::{BackendError, Service};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgSslMode};

/// Where Postgres is and how to log in: the libpq variables, read once at start by the caller.
#[derive(Clone)]
pub struct PgConfig {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<String>,
    pub database: String,
    /// `PGSSLMODE` (`disable`, `prefer`, `require`, `verify-ca`, `verify-full`); `prefer` when unset.
    pub ssl_mode: PgSslMode,
    /// `PGSSLROOTCERT`: the CA bundle (PEM) a server's certificate must chain to, e.g. AWS's RDS
    /// global bundle; added to the system's roots.
    pub ssl_root_cert: Option<PathBuf>,
}

impl fmt::Debug for PgConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("database", &self.database)
            .field("ssl_mode", &self.ssl_mode)
            .field("ssl_root_cert", &self.ssl_root_cert)
            .finish()
    }
}

/// Connections per process: enough for concurrent requests on a small machine, few enough that
/// several replicas stay far below Postgres' default `max_connections` of 100.
const POOL_SIZE: u32 = 16;
/// How long a request waits for a connection before the api answers 503.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

impl PgConfig {
    /// The mode as libpq applies it: `require` with a root certificate given verifies the chain
    /// (libpq's documented rule), where sqlx alone would accept any certificate.
    fn effective_ssl_mode(&self) -> PgSslMode {
        match (self.ssl_mode, &self.ssl_root_cert) {
            (PgSslMode::Require, Some(_)) => PgSslMode::VerifyCa,
            (mode, _) => mode,
        }
    }

    fn connect_options(&self) -> PgConnectOptions {
        let mut options = PgConnectOptions::new_without_pgpass()
            .host(&self.host)
            .port(self.port)
            .username(&self.user)
            .database(&self.database)
            .ssl_mode(self.effective_ssl_mode())
            .application_name("fibstack");
        if let Some(root) = &self.ssl_root_cert {
            options = options.ssl_root_cert(root);
        }
        match &self.password {
            Some(password) => options.password(password),
            None => options,
        }
    }

    /// A pool that connects on first use, so a process starts (and reports itself unready)
    /// while Postgres is still down, instead of crashing. A root certificate that cannot be
    /// read is refused now: waiting would not make it appear.
    pub fn lazy_pool(&self) -> Result<PgPool, BackendError> {
        if let Some(root) = &self.ssl_root_cert {
            check_root_cert(root)?;
        }
        Ok(PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_lazy_with(self.connect_options()))
    }
}

/// The file must hold at least one PEM certificate.
fn check_root_cert(path: &Path) -> Result<(), BackendError> {
    const FIX: &str = "set PGSSLROOTCERT to a readable PEM file of CA certificates, such as AWS's RDS global bundle";
    let refused = |problem: String| BackendError::refused(Service::Postgres, FIX, problem);
    let bundle = std::fs::read(path).map_err(|error| {
        refused(format!(
            "cannot read the root certificate {}: {error}",
            path.display()
        ))
    })?;
    if !holds_pem_certificate(&bundle) {
        return Err(refused(format!(
            "{} holds no PEM certificate",
            path.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(ssl_mode: PgSslMode, ssl_root_cert: Option<&str>) -> PgConfig {
        PgConfig {
            host: "db".to_owned(),
            port: 5432,
            user: "u".to_owned(),
            password: Some("secret-password".to_owned()),
            database: "d".to_owned(),
            ssl_mode,
            ssl_root_cert: ssl_root_cert.map(PathBuf::from),
        }
    }

    #[test]
    fn require_with_a_root_certificate_verifies_the_chain_as_libpq_does() {
        let mode = |mode, root| config(mode, root).effective_ssl_mode();
        assert!(matches!(
            mode(PgSslMode::Require, Some("ca.pem")),
            PgSslMode::VerifyCa
        ));
        assert!(matches!(mode(PgSslMode::Require, None), PgSslMode::Require));
        assert!(matches!(
            mode(PgSslMode::VerifyFull, Some("ca.pem")),
            PgSslMode::VerifyFull
        ));
        assert!(matches!(
            mode(PgSslMode::Prefer, Some("ca.pem")),
            PgSslMode::Prefer
        ));
    }

    #[test]
    fn the_password_never_shows_in_debug_output() {
        let shown = format!("{:?}", config(PgSslMode::Require, None));
        assert!(!shown.contains("secret-password"), "{shown}");
    }

    #[test]
    fn a_file_without_a_certificate_is_refused_naming_pgsslrootcert() {
        let dir = std::env::temp_dir().join(format!("fibstack-root-cert-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temp dir");
        let not_pem = dir.join("bundle.pem");
        std::fs::write(&not_pem, "not a certificate").expect("write");
        let error = check_root_cert(&not_pem).expect_err("refused");
        std::fs::remove_dir_all(&dir).ok();
        assert!(matches!(error, BackendError::Refused { .. }), "{error:?}");
        assert!(error.to_string().contains("PGSSLROOTCERT"), "{error}");
    }
}
