//! Sorting SQLite errors into "the store is unavailable" and "something is wrong", from either
//! side of the store: the readers (sqlx) and the writer thread (rusqlite).

use fibstack_core::{BackendError, Service};

/// An error of a read through the pool.
pub(crate) fn classify(error: sqlx::Error) -> BackendError {
    let unavailable = match &error {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db
            .code()
            .and_then(|code| code.parse::<i32>().ok())
            .is_some_and(is_unavailable),
        _ => false,
    };
    sort(unavailable, error)
}

/// An error of a write on the writer thread.
pub(crate) fn classify_write(error: rusqlite::Error) -> BackendError {
    let unavailable = error
        .sqlite_error()
        .is_some_and(|failure| is_unavailable(failure.extended_code));
    sort(unavailable, error)
}

/// SQLITE_BUSY, SQLITE_LOCKED, SQLITE_FULL, SQLITE_IOERR and their extended codes: the file
/// cannot be written now, which a retry later may mend.
fn is_unavailable(code: i32) -> bool {
    matches!(code & 0xff, 5 | 6 | 10 | 13)
}

fn sort(unavailable: bool, error: impl std::error::Error + Send + Sync + 'static) -> BackendError {
    if unavailable {
        BackendError::unavailable(Service::Sqlite, error)
    } else {
        BackendError::unexpected(Service::Sqlite, error)
    }
}
