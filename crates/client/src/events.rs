//! Following `/api/values/events`. The browser's EventSource reconnects by itself after a dropped
//! connection, but gives up for good when the server answers with an error (the api is down and
//! the router says 503): then this waits and opens a new one, for as long as the page is open.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use fibstack_core::http::ValueEvent;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{EventSource, MessageEvent};

use crate::api::API;

/// What the page must do about an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// An index changed status.
    Value(ValueEvent),
    /// Connected (again), or events may have been missed: re-read everything.
    Resync,
    /// The connection is down; the page says so until the next `Resync`.
    Lost,
}

/// Wait before opening a new stream after the server refused one.
const RECONNECT_AFTER: Duration = Duration::from_secs(2);

type Handler = Closure<dyn FnMut(web_sys::Event)>;

/// An open stream and the callbacks it owns (dropping them would detach them).
struct Open {
    source: EventSource,
    _handlers: Vec<Handler>,
}

/// Follows the event stream until the page closes, calling `on_change` for each change.
pub fn follow(on_change: impl Fn(Change) + 'static) {
    let on_change: Rc<dyn Fn(Change)> = Rc::new(on_change);
    let slot: Rc<RefCell<Option<Open>>> = Rc::default();
    connect(on_change, slot);
}

fn connect(on_change: Rc<dyn Fn(Change)>, slot: Rc<RefCell<Option<Open>>>) {
    let Ok(source) = EventSource::new(&format!("{API}/values/events")) else {
        on_change(Change::Lost);
        return;
    };
    let mut handlers = Vec::new();
    let mut listen = |name: &str, handler: Handler| {
        let _ = source.add_event_listener_with_callback(name, handler.as_ref().unchecked_ref());
        handlers.push(handler);
    };

    let changed = on_change.clone();
    listen(
        "value",
        Closure::new(move |event: web_sys::Event| {
            let data = event
                .dyn_ref::<MessageEvent>()
                .and_then(|message| message.data().as_string());
            if let Some(event) = data.and_then(|text| serde_json::from_str(&text).ok()) {
                changed(Change::Value(event));
            }
        }),
    );
    for name in ["ready", "resync"] {
        let changed = on_change.clone();
        listen(name, Closure::new(move |_| changed(Change::Resync)));
    }
    let (changed, retry_slot) = (on_change.clone(), slot.clone());
    listen(
        "error",
        Closure::new(move |_| {
            changed(Change::Lost);
            let closed = retry_slot
                .borrow()
                .as_ref()
                .is_some_and(|open| open.source.ready_state() == EventSource::CLOSED);
            if closed {
                let (changed, slot) = (changed.clone(), retry_slot.clone());
                leptos::prelude::set_timeout(move || connect(changed, slot), RECONNECT_AFTER);
            }
        }),
    );
    if let Some(previous) = slot.borrow_mut().replace(Open {
        source,
        _handlers: handlers,
    }) {
        previous.source.close();
    }
}
