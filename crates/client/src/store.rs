//! The page's state, shared by every component through context, and how it is kept current.

use fibstack_core::{FibIndex, IndexPolicy};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::events::{self, Change};
use crate::model::{Board, Looked};

/// Where the page's event stream stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Events {
    /// The first connection is being made: nothing has gone wrong, so nothing is said.
    Connecting,
    Live,
    /// A connection failed or dropped; the page says it is reconnecting.
    Lost,
}

impl Events {
    /// As the page's `data-events` attribute shows it (tests wait on it).
    pub fn as_str(self) -> &'static str {
        match self {
            Events::Connecting => "connecting",
            Events::Live => "live",
            Events::Lost => "lost",
        }
    }
}

/// Created once for the app, so navigating between pages neither refetches nor opens a second
/// event stream. `Copy`: every field is a handle into the reactive arena.
#[derive(Debug, Clone, Copy)]
pub struct Store {
    pub board: RwSignal<Board>,
    /// Why the server could not be read, shown above the lists until a read works again.
    pub trouble: RwSignal<Option<String>>,
    /// Whether live updates are flowing.
    pub events: RwSignal<Events>,
    /// The server's rules for an index; the default limit until it has said otherwise.
    pub policy: RwSignal<IndexPolicy>,
    /// The index last looked up, kept current by events.
    pub looked_up: RwSignal<Option<Looked>>,
    /// A refresh is running; another one asked for meanwhile runs right after it, once.
    refreshing: RwSignal<bool>,
    again: RwSignal<bool>,
}

impl Store {
    pub fn new() -> Store {
        Store {
            board: RwSignal::new(Board::default()),
            trouble: RwSignal::new(None),
            events: RwSignal::new(Events::Connecting),
            policy: RwSignal::new(IndexPolicy::default()),
            looked_up: RwSignal::new(None),
            refreshing: RwSignal::new(false),
            again: RwSignal::new(false),
        }
    }

    /// Loads the lists and follows the server's events from now on.
    pub fn start(self) {
        spawn_local(async move {
            if let Ok(limits) = api::limits().await {
                self.policy.set(IndexPolicy::new(limits.max_index));
            }
        });
        self.refresh();
        events::follow(move |change| match change {
            Change::Value(event) => {
                self.board.update(|board| board.apply(&event, now_ms()));
                let about_it = self.looked_up.with_untracked(|looked| {
                    looked.as_ref().is_some_and(|l| l.is_about(event.index))
                });
                if about_it {
                    self.look_up(event.index);
                }
                self.refresh();
            }
            Change::Resync => {
                self.events.set(Events::Live);
                self.refresh();
            }
            Change::Lost => self.events.set(Events::Lost),
        });
    }

    /// Re-reads both lists from the server; concurrent asks collapse into one extra read.
    pub fn refresh(self) {
        if self.refreshing.get_untracked() {
            self.again.set(true);
            return;
        }
        self.refreshing.set(true);
        spawn_local(async move {
            loop {
                self.again.set(false);
                let limits = self
                    .board
                    .with_untracked(|board| (board.seen_limit, board.values_limit));
                match read_both(limits).await {
                    Ok(((seen, total), values)) => {
                        let mut waiting = false;
                        self.board.update(|board| {
                            waiting = board.listed(seen, total, values, now_ms());
                        });
                        self.trouble.set(None);
                        mark_first_values(self.board);
                        if waiting {
                            // Rows heard of that the lists do not show yet: look again soon.
                            set_timeout(move || self.refresh(), RELIST_AFTER);
                        }
                    }
                    Err(failure) => self.trouble.set(Some(failure.0)),
                }
                if !self.again.get_untracked() {
                    break;
                }
            }
            self.refreshing.set(false);
        });
    }

    /// Shows every submission the server lists at once, or only the most recent again.
    pub fn show_all_seen(self, all: bool) {
        self.board.update(|board| board.show_all_seen(all));
        self.refresh();
    }

    /// One more page of values.
    pub fn show_more_values(self) {
        self.board.update(Board::show_more_values);
        self.refresh();
    }

    /// Asks for one index's value and status; the answer stays current with its events.
    pub fn look_up(self, index: u64) {
        spawn_local(async move {
            self.looked_up.set(Some(match api::detail(index).await {
                Ok(Some(detail)) => Looked::Value(detail),
                Ok(None) => Looked::NeverSubmitted(index),
                Err(failure) => Looked::Trouble(failure.0),
            }));
        });
    }

    /// Sends a checked index; it shows as pending at once. A refusal comes back as a sentence.
    pub fn submit(self, index: FibIndex, refused: impl FnOnce(String) + 'static) {
        self.board
            .update(|board| board.submitted(index.get(), now_ms()));
        spawn_local(async move {
            if let Err(failure) = api::submit(index).await {
                refused(failure.0);
                self.board.update(|board| board.withdraw(index.get()));
                self.refresh();
            }
        });
    }
}

/// How soon the lists are read again while they lag behind what this tab has heard of.
const RELIST_AFTER: std::time::Duration = std::time::Duration::from_millis(250);

fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

type Lists = ((Vec<u64>, u64), Vec<fibstack_core::http::ValueSummary>);

async fn read_both((seen_limit, values_limit): (u32, u32)) -> Result<Lists, api::Failure> {
    // One after the other: two small reads on a warm connection, and no join machinery in the bundle.
    Ok((
        api::seen(seen_limit).await?,
        api::summaries(values_limit).await?,
    ))
}

/// Marks (User Timing, `fibstack:first-values`) when the first value lines are on the page, so
/// a browser's tools, and the end-to-end test, can tell how long the page took to be useful.
fn mark_first_values(board: RwSignal<Board>) {
    const MARK: &str = "fibstack:first-values";
    if board.with_untracked(|board| board.values.is_empty()) {
        return;
    }
    let Some(performance) = web_sys::window().and_then(|window| window.performance()) else {
        return;
    };
    if performance.get_entries_by_name(MARK).length() > 0 {
        return;
    }
    // After the lines are drawn: the next frame runs once the DOM has taken the update.
    request_animation_frame(move || {
        if performance.get_entries_by_name(MARK).length() == 0 {
            let _ = performance.mark(MARK);
        }
    });
}

impl Default for Store {
    fn default() -> Self {
        Store::new()
    }
}
