//! `GET /values/events`: Server-Sent Events, one per change of a value's status.
//!
//! Each api replica holds one Redis subscription and fans events out through a broadcast
//! channel (`hub`), as frames rendered once for every stream. A client too slow to keep up, or
//! one connected while the subscription was being re-established, gets a `resync` event telling
//! it to re-read the lists. Value events carry ids, so a browser that reconnects says so
//! (`Last-Event-ID`); what it missed is not kept, so it gets a `resync` right after `ready`.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream, StreamExt};
use tokio_stream::wrappers::BroadcastStream;

use super::error::ApiError;
use super::hub::resync_frame;
use super::state::AppState;

/// A comment line this often keeps idle connections open through proxies.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// `ready`, and what a disconnected browser waits before reconnecting (2 s).
const READY: &[u8] = b"retry: 2000\nevent: ready\ndata: {}\n\n";
const KEEP_ALIVE_COMMENT: &[u8] = b":\n\n";

/// Follow value changes as they happen.
#[utoipa::path(get, path = "/values/events", tag = "values",
    responses(
        (status = 200, content_type = "text/event-stream",
         description = "`ready` once subscribed (then `resync` if the request has a Last-Event-ID: a reconnection); then `value` events with a ValueEvent as data and an id; `resync` when events may have been missed"),
        (status = 503, body = fibstack_core::http::ErrorBody),
    ))]
pub async fn stream(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let slot = state
        .stream_slots
        .clone()
        .try_acquire_owned()
        .map_err(|_| ApiError::TooManyStreams)?;
    let mut greeting = vec![Bytes::from_static(READY)];
    if headers.contains_key("last-event-id") {
        greeting.push(resync_frame());
    }
    let frames = Frames {
        changes: BroadcastStream::new(state.events.subscribe()),
        keep_alive: tokio::time::interval_at(tokio::time::Instant::now() + KEEP_ALIVE, KEEP_ALIVE),
        _open: OpenStream::new(state.clone(), slot),
    };
    let body = stream::iter(greeting)
        .chain(frames)
        .take_until(state.shutdown.clone().cancelled_owned())
        .map(Ok::<_, Infallible>);
    Ok((
        [
            (CONTENT_TYPE, "text/event-stream"),
            (CACHE_CONTROL, "no-cache"),
        ],
        Body::from_stream(body),
    )
        .into_response())
}

/// One stream's frames: each event as the hub rendered it, and a comment every
/// [`KEEP_ALIVE`] (on a fixed beat: moving it on every event cost more than the comments).
struct Frames {
    changes: BroadcastStream<Bytes>,
    keep_alive: tokio::time::Interval,
    /// The slot and the gauge live as long as the stream.
    _open: OpenStream,
}

impl Stream for Frames {
    type Item = Bytes;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Bytes>> {
        if let Poll::Ready(change) = self.changes.poll_next_unpin(cx) {
            // A lagging stream missed events: it re-reads the lists instead.
            return Poll::Ready(change.map(|frame| frame.unwrap_or_else(|_| resync_frame())));
        }
        if self.keep_alive.poll_tick(cx).is_ready() {
            return Poll::Ready(Some(Bytes::from_static(KEEP_ALIVE_COMMENT)));
        }
        Poll::Pending
    }
}

/// Holds a stream's slot and counts it in the metrics while it is open.
struct OpenStream {
    state: AppState,
    _slot: tokio::sync::OwnedSemaphorePermit,
}

impl OpenStream {
    fn new(state: AppState, slot: tokio::sync::OwnedSemaphorePermit) -> Self {
        state.metrics.open_streams.inc();
        OpenStream { state, _slot: slot }
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        self.state.metrics.open_streams.dec();
    }
}
