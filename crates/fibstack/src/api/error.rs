//! Every way a request can fail, mapped to a status and a JSON body in one place.
//!
//! User errors are answered and not logged; backend trouble is logged once with its cause chain
//! and answered with a sentence that names no internals.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use fibstack_core::http::{ErrorBody, ValueStatus};
use fibstack_core::{BackendError, FibIndex, IndexError};

use crate::telemetry::error_chain;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the body is not valid JSON ({0}); send an object like {{\"index\": 7}}")]
    MalformedJson(String),
    #[error("{0}")]
    BadQuery(String),
    #[error("the body is larger than {limit} bytes; send just {{\"index\": 7}}")]
    BodyTooLarge { limit: usize },
    #[error("send the index as JSON with the header Content-Type: application/json")]
    NotJson,
    #[error("send a JSON object like {{\"index\": 7}}")]
    NotAnObject,
    #[error("{0}")]
    InvalidIndex(#[from] IndexError),
    #[error("index {0} was never submitted; POST it to /api/values first")]
    NotSubmitted(FibIndex),
    #[error("F({index}) is {status}, not computed yet; try again in a moment")]
    NotComputed {
        index: FibIndex,
        status: &'static str,
    },
    #[error("no such path; see /api/openapi.json for the paths this api serves")]
    NoSuchPath,
    #[error("the job queue is full; try again in a few seconds")]
    QueueFull,
    #[error("too many event streams are open on this server; try again later")]
    TooManyStreams,
    #[error("the server is still starting (waiting for the database); try again in a few seconds")]
    Starting,
    #[error("the request took too long; try again")]
    Timeout,
    #[error(transparent)]
    Backend(#[from] BackendError),
}

impl ApiError {
    pub fn not_computed(index: FibIndex, status: ValueStatus) -> Self {
        let status = match status {
            ValueStatus::Pending => "pending",
            ValueStatus::Done => "done",
            ValueStatus::Failed => "failed",
        };
        ApiError::NotComputed { index, status }
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::MalformedJson(_) | ApiError::BadQuery(_) => StatusCode::BAD_REQUEST,
            ApiError::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::NotJson => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::NotAnObject | ApiError::InvalidIndex(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::NotSubmitted(_) | ApiError::NoSuchPath => StatusCode::NOT_FOUND,
            ApiError::NotComputed { .. } => StatusCode::CONFLICT,
            ApiError::QueueFull
            | ApiError::TooManyStreams
            | ApiError::Starting
            | ApiError::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Backend(BackendError::Unavailable { .. } | BackendError::Refused { .. }) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Backend(BackendError::Unexpected { .. }) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The sentence the user reads: never the text of a database or Redis error.
    fn public_message(&self) -> String {
        match self {
            ApiError::Backend(BackendError::Unavailable { service, .. }) => {
                format!("{service} is unavailable right now; try again in a few seconds")
            }
            // The remedy is the operator's (settings), not the user's: not in the answer.
            ApiError::Backend(BackendError::Refused { service, .. }) => {
                format!("{service} is unavailable: the server is misconfigured; it has been logged")
            }
            ApiError::Backend(BackendError::Unexpected { .. }) => {
                "something went wrong on the server; it has been logged with this request's x-request-id".to_owned()
            }
            other => other.to_string(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Backend(error) = &self {
            let chain = error_chain(error);
            match error {
                BackendError::Unavailable { .. } => {
                    tracing::warn!(error = %chain, "backend unavailable")
                }
                BackendError::Refused { .. } => {
                    tracing::error!(error = %chain, "backend refused this process")
                }
                BackendError::Unexpected { .. } => tracing::error!(error = %chain, "backend error"),
            }
        }
        let body = ErrorBody {
            error: self.public_message(),
        };
        (self.status(), Json(body)).into_response()
    }
}
