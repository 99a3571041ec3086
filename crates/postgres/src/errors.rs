//! Sorting sqlx errors into "Postgres is down" and "something is wrong".

use fibstack_core::{BackendError, Service};

pub(crate) fn classify(error: sqlx::Error) -> BackendError {
    if is_unavailable(&error) {
        BackendError::unavailable(Service::Postgres, error)
    } else {
        BackendError::unexpected(Service::Postgres, error)
    }
}

fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
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
