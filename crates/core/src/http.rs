//! The JSON shapes of the HTTP contract (the OpenAPI document the api serves), shared by the api
//! and the web client.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The text the course client shows for an index whose value is not ready.
pub const NOTHING_YET: &str = "Nothing yet!";

/// `POST /values` answer, byte-compatible with the course api.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Working {
    pub working: bool,
}

/// One row of `GET /values/all`, byte-compatible with the course api's `SELECT number`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubmittedNumber {
    pub number: u64,
}

/// `GET /values/current`: index (as a string key) → decimal value or [`NOTHING_YET`].
pub type CurrentValues = BTreeMap<String, String>;

/// Where an index stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ValueStatus {
    /// Submitted; a worker has it or will take it.
    Pending,
    /// Computed and stored.
    Done,
    /// Given up on after repeated failures.
    Failed,
}

/// `GET /values/{index}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValueDetail {
    pub index: u64,
    pub status: ValueStatus,
    /// Decimal digits of the value, once done.
    pub digits: Option<u64>,
    /// The whole value in decimal, once done.
    pub value: Option<String>,
}

/// One row of `GET /values`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValueSummary {
    pub index: u64,
    pub status: ValueStatus,
    pub digits: Option<u64>,
    /// The value, or its first and last digits when it is long.
    pub preview: Option<String>,
    /// When the value was stored, RFC 3339 in UTC (`2026-11-28T03:38:22.605Z`).
    pub computed_at: Option<String>,
}

/// The data of one event on `GET /values/events`: an index changed status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValueEvent {
    pub index: u64,
    pub status: ValueStatus,
    pub digits: Option<u64>,
}

/// `GET /limits`: what this server accepts, so a client can check input by the same rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Limits {
    /// `FIB_MAX_INDEX`: the largest index accepted.
    pub max_index: u64,
}

/// Every error answer: one sentence a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn course_shapes_are_byte_compatible() {
        let working = serde_json::to_string(&Working { working: true }).ok();
        assert_eq!(working.as_deref(), Some(r#"{"working":true}"#));
        let rows = serde_json::to_string(&[SubmittedNumber { number: 7 }]).ok();
        assert_eq!(rows.as_deref(), Some(r#"[{"number":7}]"#));
    }

    #[test]
    fn status_is_lowercase_on_the_wire() {
        let event = ValueEvent {
            index: 7,
            status: ValueStatus::Done,
            digits: Some(2),
        };
        let text = serde_json::to_string(&event).ok();
        assert_eq!(
            text.as_deref(),
            Some(r#"{"index":7,"status":"done","digits":2}"#)
        );
    }
}
