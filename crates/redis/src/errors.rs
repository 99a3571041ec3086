//! Sorting Redis errors into "Redis is down" and "something is wrong".

use fibstack_core::{BackendError, Service};

pub(crate) fn classify(error: redis::RedisError) -> BackendError {
    let down = error.is_io_error()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || error.is_timeout()
        || error.is_unrecoverable_error()
        || matches!(
            error.kind(),
            redis::ErrorKind::Server(redis::ServerErrorKind::BusyLoading)
                | redis::ErrorKind::Server(redis::ServerErrorKind::TryAgain)
                | redis::ErrorKind::Server(redis::ServerErrorKind::MasterDown)
        );
    if down {
        BackendError::unavailable(Service::Redis, error)
    } else {
        BackendError::unexpected(Service::Redis, error)
    }
}
