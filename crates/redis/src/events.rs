//! Change events: published by the store and fail scripts, relayed by every api replica.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use fibstack_core::backoff::Backoff;
use fibstack_core::http::ValueEvent;
use fibstack_core::store::{EventFeed, EventSink, RelayedEvent};
use futures_util::StreamExt;
use redis::{PushInfo, PushKind, Value};

use crate::config::RedisConfig;
use crate::keys;

/// Subscribes to the event channel and publishes each event to a sink, reconnecting with
/// backoff whenever Redis goes away.
#[derive(Debug)]
pub struct EventRelay {
    config: RedisConfig,
    sink: Arc<dyn EventSink>,
    subscribed: Arc<AtomicBool>,
}

const RECONNECT_MIN: Duration = Duration::from_millis(100);
const RECONNECT_MAX: Duration = Duration::from_secs(2);

fn reconnect_backoff() -> Backoff {
    Backoff::new(RECONNECT_MIN, RECONNECT_MAX)
}

#[async_trait]
impl EventFeed for EventRelay {
    /// True while the subscription is live.
    fn connected(&self) -> Arc<AtomicBool> {
        self.subscribed.clone()
    }

    async fn run(self: Box<Self>, shutdown: Pin<Box<dyn Future<Output = ()> + Send>>) {
        tokio::select! {
            () = self.relay_forever() => {}
            () = shutdown => {}
        }
    }
}

impl EventRelay {
    pub fn new(config: RedisConfig, sink: Arc<dyn EventSink>) -> Self {
        EventRelay {
            config,
            sink,
            subscribed: Arc::default(),
        }
    }

    async fn relay_forever(&self) {
        if self.config.cluster {
            return self.relay_from_cluster().await;
        }
        let mut backoff = reconnect_backoff();
        let mut first = true;
        loop {
            match self.subscribe().await {
                Ok(mut pubsub) => {
                    tracing::info!("subscribed to value events");
                    self.subscribed.store(true, Ordering::Release);
                    if !first {
                        self.sink.publish(RelayedEvent::Resync);
                    }
                    first = false;
                    backoff.reset();
                    let mut messages = pubsub.on_message();
                    while let Some(message) = messages.next().await {
                        let payload: String = message.get_payload().unwrap_or_default();
                        relay_payload(self.sink.as_ref(), &payload);
                    }
                    self.subscribed.store(false, Ordering::Release);
                    tracing::warn!("value event subscription lost; reconnecting");
                }
                Err(error) => {
                    tracing::debug!(%error, "cannot subscribe to value events yet");
                }
            }
            tokio::time::sleep(backoff.next_delay()).await;
        }
    }

    /// In a cluster, PUBLISH reaches every node, so the subscription may sit on any of them. The
    /// cluster connection subscribes again by itself when its node goes (a failover); each
    /// confirmation after the first is a gap, so listeners are told to resync.
    async fn relay_from_cluster(&self) {
        let sink = self.sink.clone();
        let subscribed = self.subscribed.clone();
        let confirmations = AtomicU64::new(0);
        let on_push = move |push: PushInfo| -> Result<(), redis::aio::SendError> {
            match push.kind {
                PushKind::Message => {
                    if let Some(Value::BulkString(payload)) = push.data.get(1) {
                        relay_payload(sink.as_ref(), &String::from_utf8_lossy(payload));
                    }
                }
                PushKind::Subscribe => {
                    subscribed.store(true, Ordering::Release);
                    if confirmations.fetch_add(1, Ordering::AcqRel) > 0 {
                        tracing::info!("subscribed to value events again");
                        sink.publish(RelayedEvent::Resync);
                    }
                }
                PushKind::Disconnection => {
                    subscribed.store(false, Ordering::Release);
                    tracing::warn!(
                        "value event subscription lost; the cluster connection resubscribes"
                    );
                }
                _ => {}
            }
            Ok(())
        };
        let mut connection = match self.config.cluster_subscriber(on_push) {
            Ok(connection) => connection,
            Err(error) => {
                tracing::error!(%error, "cannot subscribe to value events");
                return;
            }
        };
        let mut backoff = reconnect_backoff();
        while let Err(error) = connection.subscribe(keys::EVENTS).await {
            tracing::debug!(%error, "cannot subscribe to value events yet");
            tokio::time::sleep(backoff.next_delay()).await;
        }
        tracing::info!("subscribed to value events (cluster)");
        // The connection lives on, and with it the subscription.
        std::future::pending::<()>().await;
    }

    async fn subscribe(&self) -> Result<redis::aio::PubSub, redis::RedisError> {
        let client = self.config.client().map_err(|error| {
            redis::RedisError::from((redis::ErrorKind::Io, "bad Redis address", error.to_string()))
        })?;
        let mut pubsub = tokio::time::timeout(RECONNECT_MAX, client.get_async_pubsub())
            .await
            .map_err(|_| redis::RedisError::from((redis::ErrorKind::Io, "connect timed out")))??;
        pubsub.subscribe(keys::EVENTS).await?;
        Ok(pubsub)
    }
}

fn relay_payload(sink: &dyn EventSink, payload: &str) {
    match serde_json::from_str::<ValueEvent>(payload) {
        Ok(event) => sink.publish(RelayedEvent::Changed(event)),
        Err(error) => tracing::warn!(%error, "ignored a malformed value event"),
    }
}
