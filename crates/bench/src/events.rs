//! One client's event stream (`GET /values/events`), read as a browser reads it: every `value`
//! event, stamped with the moment its bytes arrived, before any parsing.

use std::time::{Duration, Instant};

use anyhow::Context;
use fibstack_core::http::{ValueEvent, ValueStatus};
use futures_util::StreamExt;
use tokio::sync::mpsc;

/// Events read ahead of the client that waits for them; past it, the stream is read no further
/// until the client catches up (TCP holds the rest).
const READ_AHEAD: usize = 4096;
/// How long an event may take before the run fails.
const PATIENCE: Duration = Duration::from_secs(10);

/// A `value` event and when it arrived.
#[derive(Debug)]
pub struct Arrival {
    pub event: ValueEvent,
    pub at: Instant,
}

/// An open event stream, read by a task of its own.
#[derive(Debug)]
pub struct Events {
    arrivals: mpsc::Receiver<anyhow::Result<Arrival>>,
}

impl Events {
    /// Opens the stream and returns once the server has said `ready`: from then on no event is
    /// missed.
    pub async fn open(http: &reqwest::Client, url: &str) -> anyhow::Result<Events> {
        let response = http
            .get(url)
            .send()
            .await
            .context("cannot open the event stream")?
            .error_for_status()?;
        let (sender, arrivals) = mpsc::channel(READ_AHEAD);
        let (ready, is_ready) = tokio::sync::oneshot::channel();
        tokio::spawn(read(response, sender, ready));
        tokio::time::timeout(PATIENCE, is_ready)
            .await
            .context("the event stream never said ready")?
            .context("the event stream closed before it said ready")?;
        Ok(Events { arrivals })
    }

    /// When `index`'s `done` event arrived (it may have arrived already); other events are
    /// passed over.
    pub async fn done(&mut self, index: u64) -> anyhow::Result<Instant> {
        loop {
            let arrival = tokio::time::timeout(PATIENCE, self.arrivals.recv())
                .await
                .with_context(|| format!("no event for index {index} within {PATIENCE:?}"))?
                .context("the event stream closed")??;
            if arrival.event.index == index && arrival.event.status == ValueStatus::Done {
                return Ok(arrival.at);
            }
        }
    }

    /// Forgets the events that arrived so far.
    pub fn clear(&mut self) {
        while self.arrivals.try_recv().is_ok() {}
    }
}

async fn read(
    response: reqwest::Response,
    arrivals: mpsc::Sender<anyhow::Result<Arrival>>,
    ready: tokio::sync::oneshot::Sender<()>,
) {
    let mut ready = Some(ready);
    let mut body = response.bytes_stream();
    let mut parser = Parser::default();
    while let Some(chunk) = body.next().await {
        let at = Instant::now();
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(error) => {
                let _ = arrivals.send(Err(error.into())).await;
                return;
            }
        };
        for line in parser.lines(&chunk) {
            let found = match parser.field(&line) {
                Field::Ready => {
                    if let Some(ready) = ready.take() {
                        let _ = ready.send(());
                    }
                    continue;
                }
                Field::Value(data) => serde_json::from_str::<ValueEvent>(data)
                    .map(|event| Arrival { event, at })
                    .map_err(anyhow::Error::from),
                Field::Other => continue,
            };
            if arrivals.send(found).await.is_err() {
                return; // the client is done
            }
        }
    }
    let _ = arrivals
        .send(Err(anyhow::anyhow!("the event stream ended")))
        .await;
}

/// The text/event-stream lines of a byte stream, and the event each `data:` line belongs to.
#[derive(Debug, Default)]
struct Parser {
    partial: Vec<u8>,
    event: String,
}

enum Field<'a> {
    Ready,
    Value(&'a str),
    Other,
}

impl Parser {
    /// The whole lines this chunk completes.
    fn lines(&mut self, chunk: &[u8]) -> Vec<String> {
        self.partial.extend_from_slice(chunk);
        let Some(last) = self.partial.iter().rposition(|&byte| byte == b'\n') else {
            return Vec::new();
        };
        let rest = self.partial.split_off(last + 1);
        let whole = std::mem::replace(&mut self.partial, rest);
        String::from_utf8_lossy(&whole)
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn field<'a>(&mut self, line: &'a str) -> Field<'a> {
        if line.is_empty() {
            self.event.clear();
        } else if let Some(name) = line.strip_prefix("event:") {
            self.event = name.trim().to_owned();
            if self.event == "ready" {
                return Field::Ready;
            }
        } else if let Some(data) = line.strip_prefix("data:")
            && self.event == "value"
        {
            return Field::Value(data.trim());
        }
        Field::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_chunks_are_read_whole() {
        let mut parser = Parser::default();
        let mut values = Vec::new();
        for chunk in [
            "event: ready\ndata: {}\n\nevent: va",
            "lue\ndata: {\"index\":7,\"status\":\"done\",\"digits\":2}\nid: 1\n\n",
            "event: resync\ndata: {}\n\n",
        ] {
            for line in parser.lines(chunk.as_bytes()) {
                if let Field::Value(data) = parser.field(&line) {
                    values.push(data.to_owned());
                }
            }
        }
        assert_eq!(values, [r#"{"index":7,"status":"done","digits":2}"#]);
    }
}
