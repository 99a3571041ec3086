//! The worker's HTTP side: `/metrics` for Prometheus and `/healthz` for probes, on `PORT` when
//! it is set. Nothing else: the worker takes its work from the queue, not from requests.

use std::net::SocketAddr;

use anyhow::Context;
use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::WorkerMetrics;

/// A bound listener, ready to serve the worker's metrics.
#[derive(Debug)]
pub struct MetricsServer {
    listener: TcpListener,
}

impl MetricsServer {
    /// Binds now, so a taken port stops the worker at start instead of going unnoticed.
    pub async fn bind(address: SocketAddr) -> anyhow::Result<MetricsServer> {
        let listener = TcpListener::bind(address).await.with_context(|| {
            format!("cannot listen on {address} for the worker's metrics; set PORT to a free port, or unset it")
        })?;
        Ok(MetricsServer { listener })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until the shutdown token is cancelled.
    pub async fn run(
        self,
        metrics: WorkerMetrics,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        let registry = std::sync::Arc::new(metrics.registry());
        let app = Router::new()
            .route("/healthz", get(|| async { "ok" }))
            .route(
                "/metrics",
                get(move || {
                    let registry = registry.clone();
                    async move {
                        let mut text = String::new();
                        // Writing to a String cannot fail.
                        let _ = prometheus_client::encoding::text::encode(&mut text, &registry);
                        (
                            [(
                                CONTENT_TYPE,
                                "application/openmetrics-text; version=1.0.0; charset=utf-8",
                            )],
                            text,
                        )
                            .into_response()
                    }
                }),
            );
        tracing::info!(address = %self.listener.local_addr()?, "worker metrics listening");
        axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
            .context("the worker's metrics server failed")
    }
}
