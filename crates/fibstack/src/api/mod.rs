//! The api role: the HTTP contract over its storage (Postgres and Redis, or the embedded store).
//!
//! # Layout
//! - [`router`]: every route and layer; testable without a socket.
//! - `values`, `events`, `health`, `system`: the handlers. `extract`: parsing at the edge.
//!   `error`: one error type mapped to statuses. `metrics`, `openapi`: for operators and tools.
//! - `hub`: where value events arrive; `lists`: list answers kept between changes.
//! - [`Api`]: binds, migrates in the background, serves until the shutdown token fires; under
//!   `/api` next to the web client in the all-in-one process.

mod error;
mod events;
mod extract;
mod health;
mod hub;
mod lists;
mod metrics;
mod openapi;
mod state;
mod system;
#[cfg(test)]
mod tests;
mod values;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{Request, State};
use axum::http::HeaderName;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use fibstack_core::backoff::Backoff;
use fibstack_core::roster::Report;
use fibstack_core::store::EventFeed;
use fibstack_core::{BackendError, IndexPolicy};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use error::ApiError;
pub use hub::EventHub;
use metrics::Metrics;
pub use state::{ApiStorage, AppState};

use crate::telemetry::error_chain;
use crate::telemetry::propagation::request_span;

/// A request that takes longer than this is answered 503 (event streams excepted).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Everything the api needs, read from the environment by the caller.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// `HOST`: the address to listen on; `0.0.0.0` in containers, `127.0.0.1` on a workstation.
    pub host: std::net::IpAddr,
    pub port: u16,
    pub policy: IndexPolicy,
    /// `FIB_CACHE_BYTES`, shown beside the cache's size in the metrics.
    pub cache_budget: u64,
    /// The in-process workers' metrics, served with the api's (the all-in-one process).
    pub worker_metrics: Option<crate::worker::WorkerMetrics>,
}

/// Every route with its layers.
pub fn router(state: AppState) -> Router {
    let x_request_id = HeaderName::from_static("x-request-id");
    let timed = Router::new()
        .route("/values", get(values::summaries).post(values::submit))
        .route("/values/all", get(values::all))
        .route("/values/current", get(values::current))
        .route("/values/{index}", get(values::one))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            require_schema,
        ))
        .route("/healthz", get(health::alive))
        .route("/readyz", get(health::ready))
        .route("/limits", get(health::limits))
        .route("/metrics", get(health::metrics))
        .route("/system", get(system::view))
        .route("/openapi.json", get(openapi::document))
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(|_: tower::BoxError| async {
                    ApiError::Timeout
                }))
                .timeout(REQUEST_TIMEOUT),
        );
    // Event streams stay open for as long as the client wants: no timeout.
    let streaming = Router::new().route("/values/events", get(events::stream));
    timed
        .merge(streaming)
        .fallback(|| async { ApiError::NoSuchPath })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(
                    x_request_id.clone(),
                    MakeRequestUuid,
                ))
                .layer(TraceLayer::new_for_http().make_span_with(request_span))
                .layer(PropagateRequestIdLayer::new(x_request_id)),
        )
        .with_state(state)
}

/// Data routes wait for the schema; health and metrics answer from the first moment.
async fn require_schema(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if state.is_schema_ready() {
        next.run(request).await
    } else {
        ApiError::Starting.into_response()
    }
}

/// A bound, ready-to-run api.
#[derive(Debug)]
pub struct Api {
    listener: TcpListener,
    state: AppState,
    feed: Option<Box<dyn EventFeed>>,
    /// Served next to the api (which then moves under `/api`), as the router does in the stack.
    client: Option<Router>,
}

impl Api {
    /// Binds the port (0 picks a free one) and prepares the connections, which open lazily:
    /// the api starts, and says it is not ready, while Postgres or Redis are still down.
    pub async fn build(
        settings: ApiSettings,
        storage: ApiStorage,
        shutdown: CancellationToken,
    ) -> anyhow::Result<Api> {
        let address = SocketAddr::new(settings.host, settings.port);
        let listener = TcpListener::bind(address).await.with_context(|| {
            format!("cannot listen on {address}; set PORT (and HOST) to a free address")
        })?;
        let metrics = Metrics::new(settings.cache_budget, settings.worker_metrics.as_ref());
        let (state, feed) = AppState::with_metrics(storage, settings.policy, metrics, shutdown);
        Ok(Api {
            listener,
            state,
            feed,
            client: None,
        })
    }

    /// Serves `client` for every path outside `/api`, and the api under `/api`.
    pub fn with_client(self, client: Router) -> Api {
        Api {
            client: Some(client),
            ..self
        }
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until the shutdown token is cancelled, then drains open requests.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let Api {
            listener,
            state,
            feed,
            client,
        } = self;
        let shutdown = state.shutdown.clone();
        tracing::info!(address = %listener.local_addr()?, "api listening");
        tokio::spawn(migrate_until_done(state.clone()));
        tokio::spawn(check_queue_until_answered(state.clone()));
        let reporting = tokio::spawn(crate::presence::report_until_stopped(
            state.roster.clone(),
            state.name.clone(),
            {
                let state = state.clone();
                move || Report::Api {
                    event_streams: u64::try_from(state.metrics.open_streams.get()).unwrap_or(0),
                }
            },
            shutdown.clone(),
        ));
        if let Some(feed) = feed {
            tokio::spawn(feed.run(Box::pin(shutdown.clone().cancelled_owned())));
        }
        let app = match client {
            Some(client) => Router::new()
                .nest("/api", router(state.clone()))
                .fallback_service(client),
            None => router(state.clone()),
        };
        // Each response and event goes out as soon as it is written. With Nagle's algorithm on,
        // an event written while the previous one was still unacknowledged waited for the
        // router's delayed ACK: up to 40 ms, for one event in six at 64 clients.
        let listener = listener.tap_io(|connection| {
            if let Err(error) = connection.set_nodelay(true) {
                tracing::debug!(%error, "cannot set TCP_NODELAY on a connection");
            }
        });
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
            .context("the HTTP server failed")?;
        // Leaves the roster before the process ends.
        let _ = reporting.await;
        tracing::info!("api stopped");
        match state.refusal.get() {
            Some(refusal) => Err(anyhow::anyhow!("{refusal}")),
            None => Ok(()),
        }
    }
}

/// Applies migrations, retrying while Postgres is unreachable, then opens the data routes.
async fn migrate_until_done(state: AppState) {
    let mut backoff = start_backoff();
    loop {
        match state.submissions.migrate().await {
            Ok(()) => {
                state.schema_ready.store(true, Ordering::Release);
                tracing::info!("database schema is current");
                return;
            }
            Err(error) if stop_if_refused(&state, &error) => return,
            Err(error) => {
                let delay = backoff.next_delay();
                tracing::warn!(error = %error, retry_in = ?delay, "cannot migrate yet; waiting for Postgres");
                if !sleep_unless_stopped(&state, delay).await {
                    return;
                }
            }
        }
    }
}

/// Asks the queue for one round trip, retrying while it is unreachable, so that settings it
/// refuses stop the api at start instead of surfacing as 503s on the first submission.
async fn check_queue_until_answered(state: AppState) {
    let mut backoff = start_backoff();
    loop {
        match state.values.ping().await {
            Ok(()) => return,
            Err(error) if stop_if_refused(&state, &error) => return,
            Err(error) => {
                let delay = backoff.next_delay();
                tracing::warn!(error = %error_chain(&error), retry_in = ?delay, "queue not reachable yet");
                if !sleep_unless_stopped(&state, delay).await {
                    return;
                }
            }
        }
    }
}

/// Between attempts to reach Postgres or the queue at start.
fn start_backoff() -> Backoff {
    Backoff::new(Duration::from_millis(200), Duration::from_secs(5))
}

/// A refusal (TLS, certificate, login) is not waited out: the process stops, saying what to
/// fix. Returns whether it was one.
fn stop_if_refused(state: &AppState, error: &BackendError) -> bool {
    if !matches!(error, BackendError::Refused { .. }) {
        return false;
    }
    let refusal = error_chain(error);
    tracing::error!(error = %refusal, "stopping: a backing service refuses this process");
    let _ = state.refusal.set(refusal);
    state.shutdown.cancel();
    true
}

/// Waits `delay`; false when the process is stopping instead.
async fn sleep_unless_stopped(state: &AppState, delay: Duration) -> bool {
    tokio::select! {
        () = tokio::time::sleep(delay) => true,
        () = state.shutdown.cancelled() => false,
    }
}
