//! The OpenAPI document, generated from the handlers' annotations and the shared HTTP types.

use axum::Json;
use utoipa::OpenApi;

use super::{events, health, values};

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
    ))
)]
#[derive(Debug)]
pub struct ApiDoc;

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "OpenAPI 3.1 document")))]
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
