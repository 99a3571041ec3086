//! The error every storage adapter (Postgres, Redis, the embedded SQLite store) returns.
//!
//! Callers only need to know whether a backing service is unreachable (answer 503, retry later),
//! refuses this process because of how it is configured (TLS, certificates, login: say which
//! setting, and stop), or something is wrong that retrying will not fix (answer 500, log the cause).

use std::fmt;

/// A backing service, named in logs and in the 503 a user sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Postgres,
    Redis,
    /// The all-in-one binary's embedded store.
    Sqlite,
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Service::Postgres => "Postgres",
            Service::Redis => "Redis",
            Service::Sqlite => "the embedded SQLite store",
        })
    }
}

type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The service cannot be reached right now (refused, timed out, restarting).
    #[error("{service} is unavailable")]
    Unavailable {
        service: Service,
        #[source]
        cause: Cause,
    },
    /// The service refuses this process for how it is configured: a TLS mismatch, a certificate
    /// that does not verify, a refused login. Retrying will not help; `fix` names the settings.
    #[error("{service} refused this process ({fix})")]
    Refused {
        service: Service,
        /// What to look at, with the variables' names: "check PGSSLMODE and PGSSLROOTCERT".
        fix: &'static str,
        #[source]
        cause: Cause,
    },
    /// The service answered, but not as this code expects: a bug or a schema mismatch.
    #[error("{service} gave an unexpected answer")]
    Unexpected {
        service: Service,
        #[source]
        cause: Cause,
    },
}

impl BackendError {
    pub fn unavailable(service: Service, cause: impl Into<Cause>) -> Self {
        BackendError::Unavailable {
            service,
            cause: cause.into(),
        }
    }

    pub fn refused(service: Service, fix: &'static str, cause: impl Into<Cause>) -> Self {
        BackendError::Refused {
            service,
            fix,
            cause: cause.into(),
        }
    }

    pub fn unexpected(service: Service, cause: impl Into<Cause>) -> Self {
        BackendError::Unexpected {
            service,
            cause: cause.into(),
        }
    }

    /// The same error again, for another caller of one failed operation (a batch of requests):
    /// the kind and the service are kept, the cause becomes its message.
    pub fn for_another_caller(&self) -> BackendError {
        let cause =
            std::error::Error::source(self).map_or_else(|| self.to_string(), ToString::to_string);
        match self {
            BackendError::Unavailable { service, .. } => BackendError::unavailable(*service, cause),
            BackendError::Refused { service, fix, .. } => {
                BackendError::refused(*service, fix, cause)
            }
            BackendError::Unexpected { service, .. } => BackendError::unexpected(*service, cause),
        }
    }

    pub fn service(&self) -> Service {
        match self {
            BackendError::Unavailable { service, .. }
            | BackendError::Refused { service, .. }
            | BackendError::Unexpected { service, .. } => *service,
        }
    }
}
