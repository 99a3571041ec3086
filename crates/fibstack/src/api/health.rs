//! Liveness, readiness, limits and metrics.

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use serde::Serialize;

use super::state::AppState;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    pub status: &'static str,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// The submission log answers (Postgres, or the embedded store).
    pub submissions: bool,
    /// The queue and values answer (Redis, or the embedded store).
    pub values: bool,
    pub migrated: bool,
    pub events: bool,
}

/// The process is up and serving.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
pub async fn alive() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The submission log and the value store answer, the schema is current and value events flow.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, body = Readiness), (status = 503, body = Readiness)))]
pub async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    let (submissions, values) = tokio::join!(state.submissions.ping(), state.values.ping());
    let readiness = Readiness {
        submissions: submissions.is_ok(),
        values: values.is_ok(),
        migrated: state.is_schema_ready(),
        events: state.events_subscribed.load(Ordering::Acquire),
    };
    let status =
        if readiness.submissions && readiness.values && readiness.migrated && readiness.events {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
    (status, Json(readiness))
}

/// What this server accepts (`FIB_MAX_INDEX`), so clients validate by the same rules.
#[utoipa::path(get, path = "/limits", tag = "values",
    responses((status = 200, body = fibstack_core::http::Limits)))]
pub async fn limits(State(state): State<AppState>) -> Json<fibstack_core::http::Limits> {
    Json(fibstack_core::http::Limits {
        max_index: state.policy.max(),
    })
}

/// Prometheus text format, for operators (the router does not expose it).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, content_type = "application/openmetrics-text", body = String)))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    if let Ok(stats) = state.values.queue_stats().await {
        let gauge = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
        state.metrics.queued_jobs.set(gauge(stats.jobs));
        state.metrics.redeliveries.set(gauge(stats.redeliveries));
        state.metrics.stored_again.set(gauge(stats.stored_again));
        let age = stats.oldest_job_age.unwrap_or_default();
        state.metrics.oldest_job_age.set(age.as_secs_f64());
        state.metrics.cache_bytes.set(gauge(stats.cache_bytes));
    }
    (
        [(
            CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.encode(),
    )
}
