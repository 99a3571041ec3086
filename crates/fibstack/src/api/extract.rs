//! Extractors that parse at the edge and answer every refusal with [`ApiError`].

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue};
use axum::response::{IntoResponseParts, ResponseParts};
use fibstack_core::FibIndex;
use fibstack_core::trace::TraceParent;

use super::error::ApiError;
use super::state::AppState;
use crate::telemetry::propagation::submission_trace;

/// The trace a submission's job carries to the worker (W3C `traceparent`): the caller's, or
/// the request's own where spans are exported ([`submission_trace`]).
#[derive(Debug, Clone, Copy)]
pub struct RequestTrace(pub Option<TraceParent>);

impl<S: Sync> FromRequestParts<S> for RequestTrace {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(RequestTrace(submission_trace(&parts.headers)))
    }
}

/// Tells the caller the trace its job joined (`traceresponse`, W3C Trace Context Level 2).
impl IntoResponseParts for RequestTrace {
    type Error = std::convert::Infallible;

    fn into_response_parts(self, mut parts: ResponseParts) -> Result<ResponseParts, Self::Error> {
        if let Some(trace) = self.0
            && let Ok(value) = HeaderValue::from_str(trace.header().as_str())
        {
            parts.headers_mut().insert(TRACE_RESPONSE, value);
        }
        Ok(parts)
    }
}

const TRACE_RESPONSE: HeaderName = HeaderName::from_static("traceresponse");

/// Largest `POST /values` body accepted; `{"index": "1000000"}` needs 20 bytes.
pub const BODY_LIMIT: usize = 16 * 1024;

/// The index of a `POST /values` body: `{"index": 7}` or `{"index": "7"}`.
#[derive(Debug)]
pub struct SubmittedIndex(pub FibIndex);

impl FromRequest<AppState> for SubmittedIndex {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        if !is_json(request.headers().get(CONTENT_TYPE)) {
            return Err(ApiError::NotJson);
        }
        let declared = request
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<usize>().ok());
        if declared.is_some_and(|length| length > BODY_LIMIT) {
            return Err(ApiError::BodyTooLarge { limit: BODY_LIMIT });
        }
        let bytes = axum::body::to_bytes(request.into_body(), BODY_LIMIT)
            .await
            .map_err(|_| ApiError::BodyTooLarge { limit: BODY_LIMIT })?;
        let body: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|error| ApiError::MalformedJson(error.to_string()))?;
        let object = body.as_object().ok_or(ApiError::NotAnObject)?;
        let index = state.policy.parse_json(object.get("index"))?;
        Ok(SubmittedIndex(index))
    }
}

fn is_json(content_type: Option<&axum::http::HeaderValue>) -> bool {
    let Some(value) = content_type.and_then(|value| value.to_str().ok()) else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// `?limit=N` with a default and a ceiling, refused with a 400 that says the range.
#[derive(Debug, Clone, Copy)]
pub struct Limit<const DEFAULT: u32, const MAX: u32>(pub u32);

impl<const DEFAULT: u32, const MAX: u32, S: Send + Sync> FromRequestParts<S>
    for Limit<DEFAULT, MAX>
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let raw = query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| *key == "limit")
            .map(|(_, value)| value);
        match raw {
            None => Ok(Limit(DEFAULT)),
            Some(value) => match value.parse::<u32>() {
                Ok(n) if (1..=MAX).contains(&n) => Ok(Limit(n)),
                _ => Err(ApiError::BadQuery(format!(
                    "limit must be a whole number from 1 to {MAX}, not {value:?}"
                ))),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn json_content_types() {
        for ok in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/merge+json",
        ] {
            assert!(is_json(Some(&HeaderValue::from_static(ok))), "{ok}");
        }
        for bad in ["text/plain", "application/x-www-form-urlencoded", "json"] {
            assert!(!is_json(Some(&HeaderValue::from_static(bad))), "{bad}");
        }
        assert!(!is_json(None));
    }
}
