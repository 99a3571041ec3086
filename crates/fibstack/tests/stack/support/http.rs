//! A small blocking HTTP client for the tests, and a Server-Sent Events reader.

use std::io::{BufRead, BufReader};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {:?}", self.text))
    }

    /// The `error` sentence of a JSON error body.
    pub fn error(&self) -> String {
        assert!(
            self.content_type.starts_with("application/json"),
            "errors are JSON, got {:?}: {:?}",
            self.content_type,
            self.text
        );
        self.json()["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error sentence in {:?}", self.text))
            .to_owned()
    }
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client")
}

fn reply(response: reqwest::Result<reqwest::blocking::Response>) -> Reply {
    let response = response.expect("the server answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let content_type = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = response.text().expect("a readable body");
    Reply {
        status,
        content_type,
        headers,
        text,
    }
}

pub fn get(url: &str) -> Reply {
    reply(client().get(url).send())
}

pub fn get_with(url: &str, accept: &str) -> Reply {
    reply(client().get(url).header("Accept", accept).send())
}

/// POST a body with the given content type (none when `None`).
pub fn post(
    url: &str,
    body: impl Into<reqwest::blocking::Body>,
    content_type: Option<&str>,
) -> Reply {
    let mut request = client().post(url).body(body);
    if let Some(content_type) = content_type {
        request = request.header("Content-Type", content_type);
    }
    reply(request.send())
}

pub fn post_json(url: &str, body: &str) -> Reply {
    post(url, body.to_owned(), Some("application/json"))
}

/// POST JSON with extra headers (a proxy's X-Forwarded-For, say).
pub fn post_json_with(url: &str, body: &str, headers: &[(&str, &str)]) -> Reply {
    let mut request = client()
        .post(url)
        .header("Content-Type", "application/json")
        .body(body.to_owned());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    reply(request.send())
}

/// POST JSON from another loopback address (127.0.0.2, …), as a second client would.
pub fn post_json_from(source: std::net::IpAddr, url: &str, body: &str) -> Reply {
    let client = reqwest::blocking::Client::builder()
        .local_address(source)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client");
    reply(
        client
            .post(url)
            .header("Content-Type", "application/json")
            .body(body.to_owned())
            .send(),
    )
}

/// POST JSON to a server that may go away: the status, or `None` when nothing answered (a
/// request cut short by the server's death was never acknowledged).
pub fn try_post_json(url: &str, body: &str) -> Option<u16> {
    client()
        .post(url)
        .header("Content-Type", "application/json")
        .body(body.to_owned())
        .send()
        .ok()
        .map(|r| r.status().as_u16())
}

/// Whether anything answers at all (connection refused or reset counts as no).
pub fn answers(url: &str) -> Option<u16> {
    client().get(url).send().ok().map(|r| r.status().as_u16())
}

/// One Server-Sent Event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub event: String,
    pub data: String,
    pub id: String,
}

/// Reads an event stream on a thread of its own, so waits can have a timeout.
#[derive(Debug)]
pub struct EventStream {
    events: mpsc::Receiver<SseEvent>,
}

impl EventStream {
    pub fn open(url: &str) -> EventStream {
        EventStream::reopen(url, None)
    }

    /// Opens the stream as a browser reconnecting after `last_event_id` does.
    pub fn reopen(url: &str, last_event_id: Option<&str>) -> EventStream {
        let mut request = reqwest::blocking::Client::builder()
            .build()
            .expect("an HTTP client")
            .get(url)
            .header("Accept", "text/event-stream");
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let response = request.send().expect("the event stream opens");
        assert_eq!(response.status().as_u16(), 200, "event stream status");
        let (sender, events) = mpsc::channel();
        std::thread::spawn(move || {
            let mut event = String::new();
            let mut data = String::new();
            let mut id = String::new();
            for line in BufReader::new(response).lines() {
                let Ok(line) = line else { break };
                if line.is_empty() {
                    if !data.is_empty() || !event.is_empty() {
                        let message = SseEvent {
                            event: std::mem::take(&mut event),
                            data: std::mem::take(&mut data),
                            id: std::mem::take(&mut id),
                        };
                        if sender.send(message).is_err() {
                            break;
                        }
                    }
                } else if let Some(name) = line.strip_prefix("event:") {
                    event = name.trim().to_owned();
                } else if let Some(text) = line.strip_prefix("data:") {
                    data.push_str(text.trim_start());
                } else if let Some(text) = line.strip_prefix("id:") {
                    id = text.trim().to_owned();
                }
            }
        });
        EventStream { events }
    }

    /// The next event named `name`, skipping others, within `limit`.
    pub fn next_named(&self, name: &str, limit: Duration) -> Option<SseEvent> {
        let deadline = std::time::Instant::now() + limit;
        loop {
            let left = deadline.checked_duration_since(std::time::Instant::now())?;
            match self.events.recv_timeout(left) {
                Ok(event) if event.event == name => return Some(event),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
    }

    /// Whether the stream has ended (the server closed it) within `limit`.
    pub fn ends_within(&self, limit: Duration) -> bool {
        let deadline = std::time::Instant::now() + limit;
        loop {
            let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) else {
                return false;
            };
            match self.events.recv_timeout(left) {
                Ok(_) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return true,
                Err(mpsc::RecvTimeoutError::Timeout) => return false,
            }
        }
    }
}
