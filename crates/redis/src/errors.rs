//! Sorting Redis errors into "Redis is down", "Redis refuses these settings" and "something is
//! wrong".

use std::sync::Arc;

use fibstack_core::{BackendError, Service};
use redis::{ErrorKind, RedisError, ServerErrorKind};

pub(crate) const CHECK_CA_FILE: &str =
    "set REDIS_CA_FILE to a readable PEM file of CA certificates, or unset it for the system roots";
const CHECK_TLS: &str = "check REDIS_TLS and REDIS_CA_FILE";
const CHECK_ADDRESS: &str = "check REDIS_HOST, REDIS_PORT and REDIS_TLS";
const CHECK_LOGIN: &str = "check REDIS_USERNAME and REDIS_PASSWORD";
const NEEDS_LOGIN: &str =
    "the server requires a login: set REDIS_PASSWORD (and REDIS_USERNAME for an ACL user)";
const RESET_HINT: &str = "a Redis that accepts only TLS (ElastiCache in-transit encryption) resets \
                          plain connections: if that is this one, set REDIS_TLS=true";
const FULL_HINT: &str = "Redis is at its maxmemory and refuses writes: give it more, or lower \
                         FIB_CACHE_BYTES and FIB_QUEUE_LIMIT to fit in it";
const NEEDS_PERMISSION: &str = "the REDIS_USERNAME user lacks a permission: it needs every command \
                                on the keys and channels of fibstack";

pub(crate) fn classify(error: RedisError) -> BackendError {
    if let Some(fix) = refusal(&error) {
        BackendError::refused(Service::Redis, fix, in_its_words(&error))
    } else if io_kind(&error) == Some(std::io::ErrorKind::ConnectionReset) {
        // Not certain enough to stop for (a proxy or a restart can reset too), but the likeliest
        // cause when it happens on every connection.
        let said = format!("{}; {RESET_HINT}", in_its_words(&error));
        BackendError::unavailable(Service::Redis, said)
    } else if error.code() == Some("OOM") {
        // Writes refused, not this process: room comes back as values are evicted and the queue
        // drains, or when an operator raises maxmemory. Until then, a 503 like any outage.
        let said = format!("{}; {FULL_HINT}", in_its_words(&error));
        BackendError::unavailable(Service::Redis, said)
    } else if is_unavailable(&error) {
        BackendError::unavailable(Service::Redis, in_its_words(&error))
    } else {
        BackendError::unexpected(Service::Redis, in_its_words(&error))
    }
}

/// Refusals no retry will mend, and the settings to look at.
fn refusal(error: &RedisError) -> Option<&'static str> {
    match (error.kind(), error.code()) {
        (ErrorKind::AuthenticationFailed, _) => Some(CHECK_LOGIN),
        (_, Some("NOAUTH")) => Some(NEEDS_LOGIN),
        (_, Some("WRONGPASS")) => Some(CHECK_LOGIN),
        (ErrorKind::Server(ServerErrorKind::NoPerm), _) => Some(NEEDS_PERMISSION),
        // A handshake that failed (a certificate that does not verify, TLS spoken to a plain
        // server) reaches redis as I/O of kind InvalidData; refused or dropped connections are
        // I/O of other kinds.
        (ErrorKind::Io, _) if io_kind(error) == Some(std::io::ErrorKind::InvalidData) => {
            Some(CHECK_TLS)
        }
        (ErrorKind::InvalidClientConfig, _) => Some(CHECK_ADDRESS),
        _ => None,
    }
}

fn is_unavailable(error: &RedisError) -> bool {
    error.is_io_error()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || error.is_timeout()
        || error.is_unrecoverable_error()
        || matches!(
            error.kind(),
            ErrorKind::Server(
                ServerErrorKind::BusyLoading
                    | ServerErrorKind::TryAgain
                    | ServerErrorKind::MasterDown
                    | ServerErrorKind::ClusterDown
            ) | ErrorKind::ClusterConnectionNotFound
        )
}

/// What Redis or the TLS layer said, once: `NOAUTH Authentication required.`
fn in_its_words(error: &RedisError) -> String {
    match (error.code(), error.detail()) {
        (Some(code), Some(detail)) => format!("{code} {detail}"),
        _ => error.to_string(),
    }
}

/// The kind of the I/O error inside, which redis keeps as the shared error it wraps.
fn io_kind(error: &RedisError) -> Option<std::io::ErrorKind> {
    let inner = std::error::Error::source(error)?;
    let shared = inner.downcast_ref::<Arc<dyn std::error::Error + Send + Sync>>()?;
    let io = shared.downcast_ref::<std::io::Error>()?;
    Some(io.kind())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused_fix(error: RedisError) -> Option<&'static str> {
        match classify(error) {
            BackendError::Refused { fix, .. } => Some(fix),
            _ => None,
        }
    }

    #[test]
    fn a_failed_handshake_is_a_tls_refusal_and_a_refused_connection_is_downtime() {
        let handshake =
            std::io::Error::new(std::io::ErrorKind::InvalidData, "invalid peer certificate");
        assert_eq!(refused_fix(RedisError::from(handshake)), Some(CHECK_TLS));
        let down = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(matches!(
            classify(RedisError::from(down)),
            BackendError::Unavailable { .. }
        ));
    }

    #[test]
    fn a_failed_login_names_the_login_variables() {
        let failed = RedisError::from((
            ErrorKind::AuthenticationFailed,
            "Password authentication failed",
        ));
        assert_eq!(refused_fix(failed), Some(CHECK_LOGIN));
    }
}
