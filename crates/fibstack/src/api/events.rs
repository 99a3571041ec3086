//! `GET /values/events`: Server-Sent Events, one per change of a value's status.
//!
//! Each api replica holds one Redis subscription and fans events out through a broadcast
//! channel; a client too slow to keep up, or one connected while the subscription was being
//! re-established, gets a `resync` event telling it to re-read the lists. Value events carry ids,
//! so a browser that reconnects says so (`Last-Event-ID`); what it missed is not kept, so it
//! gets a `resync` right after `ready`.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use fibstack_core::store::RelayedEvent;
use futures_util::stream::{self, Stream, StreamExt};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use super::error::ApiError;
use super::state::AppState;

/// Comment lines this often keep idle connections open through proxies.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// What a disconnected browser waits before reconnecting.
const RETRY: Duration = Duration::from_secs(2);

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
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let slot = state
        .stream_slots
        .clone()
        .try_acquire_owned()
        .map_err(|_| ApiError::TooManyStreams)?;
    let receiver = state.events.subscribe();
    let open = OpenStream::new(state.clone(), slot);
    let mut greeting = vec![Ok(Event::default().event("ready").retry(RETRY).data("{}"))];
    if headers.contains_key("last-event-id") {
        greeting.push(Ok(resync()));
    }
    let mut sent = 0u64;
    let changes = BroadcastStream::new(receiver).map(move |item| {
        let _open = &open; // the slot and the gauge live as long as the stream
        sent += 1;
        Ok(to_event(item).id(sent.to_string()))
    });
    let events = stream::iter(greeting)
        .chain(changes)
        .take_until(state.shutdown.clone().cancelled_owned());
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

fn to_event(item: Result<RelayedEvent, BroadcastStreamRecvError>) -> Event {
    match item {
        Ok(RelayedEvent::Changed(change)) => Event::default()
            .event("value")
            .json_data(&change)
            .unwrap_or_else(|_| resync()),
        Ok(RelayedEvent::Resync) | Err(BroadcastStreamRecvError::Lagged(_)) => resync(),
    }
}

fn resync() -> Event {
    Event::default().event("resync").data("{}")
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
