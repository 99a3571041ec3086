//! Where this process's value events arrive, from the Redis relay or the embedded store's
//! workers: the kept list answers are forgotten first, then every event stream hears of it.

use std::sync::Arc;

use fibstack_core::store::{EventSink, RelayedEvent};
use tokio::sync::broadcast;

use super::lists::ListCache;

/// Events buffered for slow event-stream clients before they get a `resync`.
const EVENT_BUFFER: usize = 1024;

#[derive(Debug)]
pub struct EventHub {
    sender: broadcast::Sender<RelayedEvent>,
    lists: Arc<ListCache>,
}

impl EventHub {
    pub fn new() -> Arc<EventHub> {
        Arc::new(EventHub {
            sender: broadcast::channel(EVENT_BUFFER).0,
            lists: Arc::default(),
        })
    }

    pub fn subscribe(&self) -> broadcast::Receiver<RelayedEvent> {
        self.sender.subscribe()
    }

    pub fn lists(&self) -> Arc<ListCache> {
        self.lists.clone()
    }
}

impl EventSink for EventHub {
    fn publish(&self, event: RelayedEvent) {
        self.lists.forget();
        // No receivers is fine: nobody is listening right now.
        let _ = self.sender.send(event);
    }
}
