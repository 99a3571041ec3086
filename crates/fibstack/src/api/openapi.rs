//! The OpenAPI document, generated from the handlers' annotations and the shared HTTP types.

use axum::Json;
use axum::extract::State;
use fibstack_core::index::text_pattern;
use serde_json::json;
use utoipa::OpenApi;

use super::state::AppState;
use super::{events, health, system, values};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "fibstack api",
        description = "Submit Fibonacci indexes, read exact values, follow changes. Behind the router every path is under /api."
    ),
    paths(
        values::submit,
        values::all,
        values::current,
        values::summaries,
        values::one,
        events::stream,
        health::alive,
        health::ready,
        health::limits,
        health::metrics,
        system::view,
        document,
    ),
    components(schemas(
        fibstack_core::http::Working,
        fibstack_core::http::SubmittedNumber,
        fibstack_core::http::ValueStatus,
        fibstack_core::http::ValueDetail,
        fibstack_core::http::ValueSummary,
        fibstack_core::http::ValueEvent,
        fibstack_core::http::ErrorBody,
        fibstack_core::http::Limits,
        fibstack_core::http::SystemView,
        fibstack_core::http::ServiceState,
        fibstack_core::http::QueueView,
        fibstack_core::http::MemberView,
        fibstack_core::http::MemberRole,
        fibstack_core::http::LatencyView,
    ))
)]
#[derive(Debug)]
pub struct ApiDoc;

/// This document, with this server's own index limit written into the schemas.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "OpenAPI 3.1 document")))]
pub async fn document(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(with_limit(ApiDoc::openapi(), state.policy.max()))
}

/// The annotations describe shapes; `FIB_MAX_INDEX` is known only at run time. Writing it in
/// makes every schema-valid index an accepted one, so clients and fuzzers can trust the schemas.
fn with_limit(document: utoipa::openapi::OpenApi, max: u64) -> serde_json::Value {
    let mut document = serde_json::to_value(document).unwrap_or_default();
    let index_number = json!({"type": "integer", "minimum": 0, "maximum": max});
    let index_text = json!({"type": "string", "pattern": text_pattern(max)});
    if let Some(body) =
        document.pointer_mut("/paths/~1values/post/requestBody/content/application~1json/schema")
    {
        *body = json!({
            "type": "object",
            "required": ["index"],
            "properties": {"index": {"oneOf": [index_number, index_text]}},
        });
    }
    if let Some(parameters) = document
        .pointer_mut("/paths/~1values~1{index}/get/parameters")
        .and_then(serde_json::Value::as_array_mut)
    {
        for parameter in parameters.iter_mut().filter(|p| p["name"] == "index") {
            parameter["schema"] = index_number.clone();
        }
    }
    document
}
