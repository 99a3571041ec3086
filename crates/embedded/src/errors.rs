//! Sorting sqlx errors into "the store is unavailable" and "something is wrong".

use fibstack_core::{BackendError, Service};

pub(crate) fn classify(error: sqlx::Error) -> BackendError {
    let unavailable = match &error {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        // SQLITE_BUSY, SQLITE_LOCKED, SQLITE_FULL, SQLITE_IOERR and their extended codes.
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            let primary = code.parse::<i32>().map_or(0, |code| code & 0xff);
            matches!(primary, 5 | 6 | 10 | 13)
        }),
        _ => false,
    };
    if unavailable {
        BackendError::unavailable(Service::Sqlite, error)
    } else {
        BackendError::unexpected(Service::Sqlite, error)
    }
}
