//! Sorting sqlx errors into "Postgres is down", "Postgres refuses these settings" and
//! "something is wrong".

use fibstack_core::{BackendError, Service};

const CHECK_TLS: &str = "check PGSSLMODE and PGSSLROOTCERT";
const NEEDS_TLS: &str = "the server accepts only encrypted connections: set PGSSLMODE=verify-full \
                         (with PGSSLROOTCERT) or require";
// The image's POSTGRES_PASSWORD applies only when its volume is first made: a changed
// PGPASSWORD meets the old one until the volume is removed.
const CHECK_PASSWORD: &str = "check PGUSER and PGPASSWORD (a Postgres data volume keeps the \
                              password it was first made with)";
const CHECK_LOGIN: &str = "check PGUSER, PGDATABASE and PGSSLMODE against the server's pg_hba.conf";

pub(crate) fn classify(error: sqlx::Error) -> BackendError {
    if let Some((fix, what)) = refusal(&error) {
        BackendError::refused(Service::Postgres, fix, what)
    } else if is_unavailable(&error) {
        BackendError::unavailable(Service::Postgres, error)
    } else {
        BackendError::unexpected(Service::Postgres, error)
    }
}

/// Refusals no retry will mend: the settings to look at, and what the server or the TLS layer
/// said, in its own words.
fn refusal(error: &sqlx::Error) -> Option<(&'static str, String)> {
    match error {
        // A TLS mismatch ("server does not support TLS") or an unreadable certificate.
        sqlx::Error::Tls(tls) => Some((CHECK_TLS, tls.to_string())),
        // A handshake that failed on the certificate reaches sqlx as I/O of kind InvalidData
        // (rustls' error inside); a refused or dropped connection is I/O of other kinds.
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => {
            Some((CHECK_TLS, format!("TLS handshake failed: {io}")))
        }
        // SQLSTATE class 28: 28P01 a wrong password, 28000 no pg_hba.conf entry (this host,
        // user, database or encryption is not allowed).
        sqlx::Error::Database(db) => {
            let code = db.code()?;
            let message = db.message().to_owned();
            match code.as_ref() {
                "28P01" => Some((CHECK_PASSWORD, message)),
                "28000" if message.ends_with("no encryption") => Some((NEEDS_TLS, message)),
                code if code.starts_with("28") => Some((CHECK_LOGIN, message)),
                _ => None,
            }
        }
        _ => None,
    }
}

fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        // SQLSTATE class 08 (connection exception), 57P01..57P03 (shutdown, cannot connect now).
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}
