//! Where this process's value events arrive, from the Redis relay or the embedded store's
//! workers: the kept list answers are forgotten first, then every event stream hears of it.
//!
//! Each event is rendered to its Server-Sent Events frame here, once, and the same bytes go to
//! every open stream: with 64 streams open, rendering per stream was a sixth of the api's time.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Bytes;
use fibstack_core::http::ValueEvent;
use fibstack_core::store::{EventSink, RelayedEvent};
use tokio::sync::broadcast;

use super::lists::ListCache;

/// Events buffered for slow event-stream clients before they get a `resync`.
const EVENT_BUFFER: usize = 1024;

#[derive(Debug)]
pub struct EventHub {
    sender: broadcast::Sender<Bytes>,
    lists: Arc<ListCache>,
    /// The `id` of the next value event: one sequence for the whole process.
    next_id: AtomicU64,
}

impl EventHub {
    pub fn new() -> Arc<EventHub> {
        Arc::new(EventHub {
            sender: broadcast::channel(EVENT_BUFFER).0,
            lists: Arc::default(),
            next_id: AtomicU64::new(1),
        })
    }

    /// Frames of the events published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Bytes> {
        self.sender.subscribe()
    }

    pub fn lists(&self) -> Arc<ListCache> {
        self.lists.clone()
    }
}

impl EventSink for EventHub {
    fn publish(&self, event: RelayedEvent) {
        self.lists.forget();
        let frame = match event {
            RelayedEvent::Changed(change) => {
                value_frame(self.next_id.fetch_add(1, Ordering::Relaxed), &change)
            }
            RelayedEvent::Resync => resync_frame(),
        };
        // No receivers is fine: nobody is listening right now.
        let _ = self.sender.send(frame);
    }
}

/// `id: 7` / `event: value` / `data: {"index":…}`: a status change of one index.
pub fn value_frame(id: u64, change: &ValueEvent) -> Bytes {
    // A ValueEvent is numbers and a status word: it always serialises.
    let data = serde_json::to_string(change).unwrap_or_default();
    Bytes::from(format!("id: {id}\nevent: value\ndata: {data}\n\n"))
}

/// Events may have been missed: re-read the lists.
pub fn resync_frame() -> Bytes {
    Bytes::from_static(b"event: resync\ndata: {}\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use fibstack_core::http::ValueStatus;

    #[tokio::test]
    async fn every_stream_gets_the_same_frame_and_ids_follow_each_other() {
        let hub = EventHub::new();
        let (mut first, mut second) = (hub.subscribe(), hub.subscribe());
        for index in [7, 8] {
            hub.publish(RelayedEvent::Changed(ValueEvent {
                index,
                status: ValueStatus::Done,
                digits: Some(2),
            }));
        }
        hub.publish(RelayedEvent::Resync);
        let frame = first.recv().await.expect("a frame");
        assert_eq!(
            frame,
            "id: 1\nevent: value\ndata: {\"index\":7,\"status\":\"done\",\"digits\":2}\n\n"
        );
        assert_eq!(second.recv().await.expect("a frame"), frame);
        assert!(first.recv().await.expect("a frame").starts_with(b"id: 2\n"));
        assert_eq!(first.recv().await.expect("a frame"), resync_frame());
    }
}
