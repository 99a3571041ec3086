//! A span collector on a free loopback port: it takes what the processes export over OTLP/HTTP
//! (`POST /v1/traces`, protobuf), as an OpenTelemetry Collector would, and keeps the spans for
//! the test to read.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value;
use prost::Message;

/// One exported span, as the test reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectedSpan {
    /// The exporting process's `service.name`.
    pub service: String,
    pub name: String,
    /// 32 hex digits.
    pub trace_id: String,
    /// 16 hex digits.
    pub span_id: String,
    /// 16 hex digits, empty for a span without a parent.
    pub parent_span_id: String,
}

type Spans = Arc<Mutex<Vec<CollectedSpan>>>;

/// Runs until dropped, on a thread of its own.
#[derive(Debug)]
pub struct Collector {
    pub address: SocketAddr,
    spans: Spans,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Collector {
    pub fn start() -> Collector {
        let spans = Spans::default();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (bound, address) = std::sync::mpsc::channel();
        let kept = spans.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("a free port");
                bound
                    .send(listener.local_addr().expect("an address"))
                    .expect("the test waits");
                let app = Router::new()
                    .route("/v1/traces", post(take))
                    .with_state(kept);
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await
                    .expect("the collector serves");
            });
        });
        Collector {
            address: address.recv().expect("the collector binds"),
            spans,
            _stop: stop,
        }
    }

    /// The value of `OTEL_EXPORTER_OTLP_ENDPOINT` that reaches this collector.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn spans(&self) -> Vec<CollectedSpan> {
        self.spans.lock().expect("not poisoned").clone()
    }
}

async fn take(State(spans): State<Spans>, body: Bytes) -> StatusCode {
    let Ok(request) = ExportTraceServiceRequest::decode(body) else {
        return StatusCode::BAD_REQUEST;
    };
    let mut collected = Vec::new();
    for resource_spans in request.resource_spans {
        let service = resource_spans
            .resource
            .iter()
            .flat_map(|resource| &resource.attributes)
            .find(|attribute| attribute.key == "service.name")
            .and_then(
                |attribute| match attribute.value.as_ref()?.value.as_ref()? {
                    any_value::Value::StringValue(name) => Some(name.clone()),
                    _ => None,
                },
            )
            .unwrap_or_default();
        for scope_spans in resource_spans.scope_spans {
            for span in scope_spans.spans {
                collected.push(CollectedSpan {
                    service: service.clone(),
                    name: span.name,
                    trace_id: hex(&span.trace_id),
                    span_id: hex(&span.span_id),
                    parent_span_id: hex(&span.parent_span_id),
                });
            }
        }
    }
    spans.lock().expect("not poisoned").extend(collected);
    StatusCode::OK
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
