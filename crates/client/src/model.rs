//! What the page shows, as plain data: no DOM, no network, tested natively.

use fibstack_core::http::{ValueDetail, ValueEvent, ValueStatus, ValueSummary};
use fibstack_core::summary::{PREVIEW_WHOLE_UP_TO, preview};

/// How long a row this tab heard of (its own submission, or an event) is kept while the
/// server's lists do not show it yet. The server queues a job before it records the submission,
/// so a value's event can arrive before the lists include its index.
pub const HOLD_UNLISTED_MS: u64 = 10_000;

/// Submissions "Indexes I have seen" shows at first: the most recent ones.
pub const SEEN_SHOWN: u32 = 20;
/// "Show all": the most the server lists at once.
pub const SEEN_ALL: u32 = 10_000;
/// Lines of "Calculated Values" per page; "Show more" adds a page.
pub const VALUES_PAGE: u32 = 20;
/// The most lines the server lists at once, and so the most the page holds.
pub const VALUES_MAX: u32 = 1_000;

/// The lists as the page shows them: the latest submissions and one row per recent index, as
/// the server last described them plus what this tab has heard of since, each cut to the
/// length the reader asked for. The page's size follows the reader, never the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Board {
    /// The latest submissions, oldest first (the seed's "Indexes I have seen").
    pub seen: Vec<u64>,
    /// How many submissions there are in all.
    pub seen_total: u64,
    /// How many of the latest submissions to show: [`SEEN_SHOWN`], or [`SEEN_ALL`].
    pub seen_limit: u32,
    /// One row per index, newest first.
    pub values: Vec<ValueSummary>,
    /// How many rows to show: pages of [`VALUES_PAGE`], up to [`VALUES_MAX`].
    pub values_limit: u32,
    /// Indexes heard of here that no list from the server has shown yet, and when (ms).
    unlisted: Vec<(u64, u64)>,
}

impl Default for Board {
    fn default() -> Self {
        Board {
            seen: Vec::new(),
            seen_total: 0,
            seen_limit: SEEN_SHOWN,
            values: Vec::new(),
            values_limit: VALUES_PAGE,
            unlisted: Vec::new(),
        }
    }
}

impl Board {
    /// The server's lists, as read.
    pub fn new(seen: Vec<u64>, seen_total: u64, values: Vec<ValueSummary>) -> Board {
        let mut board = Board {
            seen,
            seen_total,
            values,
            ..Board::default()
        };
        board.cut_to_limits();
        board
    }

    /// Fresh lists from the server replace the board, except the rows heard of here that they
    /// do not show yet (for up to [`HOLD_UNLISTED_MS`]). True while such rows remain: the
    /// lists should be read again shortly.
    pub fn listed(
        &mut self,
        mut seen: Vec<u64>,
        seen_total: u64,
        values: Vec<ValueSummary>,
        now_ms: u64,
    ) -> bool {
        let old = std::mem::take(&mut self.values);
        let mut kept = Vec::new();
        self.unlisted.retain(|&(index, since)| {
            let waiting = !values.iter().any(|row| row.index == index)
                && now_ms.saturating_sub(since) <= HOLD_UNLISTED_MS;
            if waiting {
                kept.extend(old.iter().find(|row| row.index == index).cloned());
            }
            waiting
        });
        let mut total = seen_total;
        for row in &kept {
            if !seen.contains(&row.index) {
                seen.push(row.index);
                total += 1;
            }
        }
        kept.extend(values);
        self.values = kept;
        self.seen = seen;
        self.seen_total = total;
        self.cut_to_limits();
        !self.unlisted.is_empty()
    }

    /// Shows every submission the server lists at once, or only the most recent again.
    pub fn show_all_seen(&mut self, all: bool) {
        self.seen_limit = if all { SEEN_ALL } else { SEEN_SHOWN };
        self.cut_to_limits();
    }

    /// One more page of values (read on the next refresh).
    pub fn show_more_values(&mut self) {
        self.values_limit = (self.values_limit + VALUES_PAGE).min(VALUES_MAX);
    }

    /// Whether the values list may go on past what it shows.
    pub fn more_values(&self) -> bool {
        self.values.len() >= self.values_limit as usize && self.values_limit < VALUES_MAX
    }

    /// Whether some submissions are left out of "Indexes I have seen", or could be.
    pub fn seen_is_cut(&self) -> bool {
        self.seen_total > u64::from(SEEN_SHOWN)
    }

    /// "The 20 most recent of 10,000.", or "All 10,000." when every one is shown.
    pub fn seen_count(&self) -> String {
        let shown = self.seen.len() as u64;
        if shown >= self.seen_total {
            format!("All {}.", grouped(self.seen_total))
        } else {
            format!(
                "The {} most recent of {}.",
                grouped(shown),
                grouped(self.seen_total)
            )
        }
    }

    fn cut_to_limits(&mut self) {
        let extra = self.seen.len().saturating_sub(self.seen_limit as usize);
        self.seen.drain(..extra);
        self.values.truncate(self.values_limit as usize);
    }

    /// A submission the server refused: it leaves no trace (a row the lists already had stays).
    pub fn withdraw(&mut self, index: u64) {
        let before = self.unlisted.len();
        self.unlisted.retain(|&(heard, _)| heard != index);
        if self.unlisted.len() < before {
            self.values.retain(|row| row.index != index);
        }
        if let Some(at) = self.seen.iter().rposition(|&seen| seen == index) {
            self.seen.remove(at);
            self.seen_total = self.seen_total.saturating_sub(1);
        }
    }

    fn heard(&mut self, index: u64, now_ms: u64) {
        self.unlisted.retain(|&(heard, _)| heard != index);
        self.unlisted.push((index, now_ms));
    }

    /// A submission this tab just made: shown as pending at once, before the server says more.
    pub fn submitted(&mut self, index: u64, now_ms: u64) {
        self.seen.push(index);
        self.seen_total += 1;
        match self.values.iter().position(|row| row.index == index) {
            Some(at) => {
                let row = self.values.remove(at);
                self.values.insert(0, row);
            }
            None => {
                self.heard(index, now_ms);
                self.values.insert(0, pending(index));
            }
        }
        self.cut_to_limits();
    }

    /// An event from the server: the row changes status at once; the preview arrives with the
    /// next refresh.
    pub fn apply(&mut self, event: &ValueEvent, now_ms: u64) {
        match self.values.iter_mut().find(|row| row.index == event.index) {
            Some(row) => {
                row.status = event.status;
                row.digits = event.digits.or(row.digits);
            }
            None => {
                self.heard(event.index, now_ms);
                self.values.insert(
                    0,
                    ValueSummary {
                        digits: event.digits,
                        status: event.status,
                        ..pending(event.index)
                    },
                );
                self.cut_to_limits();
            }
        }
    }

    /// Whether a done row still lacks the text the page needs to show it.
    pub fn needs_refresh(&self) -> bool {
        self.values
            .iter()
            .any(|row| row.status == ValueStatus::Done && row.preview.is_none())
    }

    /// "7, 8, 40", the seed's comma-separated line.
    pub fn seen_line(&self) -> String {
        self.seen
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn pending(index: u64) -> ValueSummary {
    ValueSummary {
        index,
        status: ValueStatus::Pending,
        digits: None,
        preview: None,
        computed_at: None,
    }
}

/// What looking up one index found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Looked {
    Value(ValueDetail),
    NeverSubmitted(u64),
    /// The server could not be asked, in words.
    Trouble(String),
}

impl Looked {
    /// Whether this result may change when `index` does.
    pub fn is_about(&self, index: u64) -> bool {
        match self {
            Looked::Value(detail) => detail.index == index,
            Looked::NeverSubmitted(looked) => *looked == index,
            Looked::Trouble(_) => false,
        }
    }
}

/// How one row reads: the seed's "For index 7 I calculated 13", with the rest in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    Whole(String),
    /// First and last digits of a long value, and how many digits it has.
    Shortened {
        preview: String,
        digits: u64,
    },
    Pending,
    Failed,
}

/// How a looked-up value reads, with the same words as a line of the list.
pub fn shown_detail(detail: &ValueDetail) -> Shown {
    shown(&ValueSummary {
        index: detail.index,
        status: detail.status,
        digits: detail.digits,
        preview: detail.value.as_deref().map(preview),
        computed_at: None,
    })
}

pub fn shown(row: &ValueSummary) -> Shown {
    match (row.status, &row.preview, row.digits) {
        (ValueStatus::Failed, _, _) => Shown::Failed,
        // Longer than this, the server's preview is shortened: offer copy and download too.
        (ValueStatus::Done, Some(preview), Some(digits)) if digits > PREVIEW_WHOLE_UP_TO as u64 => {
            Shown::Shortened {
                preview: preview.clone(),
                digits,
            }
        }
        (ValueStatus::Done, Some(preview), _) => Shown::Whole(preview.clone()),
        _ => Shown::Pending,
    }
}

/// `208988` → `"208,988"`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(index: u64, value: &str) -> ValueSummary {
        ValueSummary {
            index,
            status: ValueStatus::Done,
            digits: Some(value.len() as u64),
            preview: Some(value.to_owned()),
            computed_at: None,
        }
    }

    #[test]
    fn a_submission_shows_as_pending_at_once_and_first() {
        let mut board = Board::new(vec![7], 1, vec![done(7, "13")]);
        board.submitted(40, 0);
        assert_eq!(board.seen_line(), "7, 40");
        assert_eq!(board.values[0].index, 40);
        assert_eq!(shown(&board.values[0]), Shown::Pending);

        board.submitted(7, 0);
        assert_eq!(
            board.values.iter().map(|r| r.index).collect::<Vec<_>>(),
            [7, 40]
        );
        assert_eq!(shown(&board.values[0]), Shown::Whole("13".to_owned()));
    }

    #[test]
    fn an_event_changes_the_row_and_asks_for_its_text() {
        let mut board = Board::default();
        board.submitted(40, 0);
        assert!(!board.needs_refresh());
        board.apply(
            &ValueEvent {
                index: 40,
                status: ValueStatus::Done,
                digits: Some(9),
            },
            0,
        );
        assert_eq!(board.values[0].status, ValueStatus::Done);
        assert!(
            board.needs_refresh(),
            "the value itself comes with the next refresh"
        );
    }

    #[test]
    fn events_for_indexes_this_tab_never_saw_still_appear() {
        let mut board = Board::default();
        board.apply(
            &ValueEvent {
                index: 12,
                status: ValueStatus::Failed,
                digits: None,
            },
            0,
        );
        assert_eq!(shown(&board.values[0]), Shown::Failed);
    }

    #[test]
    fn a_row_heard_of_before_the_lists_show_it_is_kept_until_they_do() {
        let mut board = Board::new(vec![7], 1, vec![done(7, "13")]);
        let event = ValueEvent {
            index: 40,
            status: ValueStatus::Done,
            digits: Some(9),
        };
        board.apply(&event, 1_000);
        // The lists were read before the submission of 40 was recorded.
        assert!(
            board.listed(vec![7], 1, vec![done(7, "13")], 1_050),
            "read again"
        );
        assert_eq!(board.values[0].index, 40, "kept while the lists lag");
        assert_eq!(board.seen_line(), "7, 40");
        // Then they show it: the server's row replaces the one heard of.
        let waiting = board.listed(
            vec![7, 40],
            2,
            vec![done(40, "102334155"), done(7, "13")],
            1_100,
        );
        assert!(!waiting);
        assert_eq!(board.values[0], done(40, "102334155"));
        assert_eq!(board.values.len(), 2);
        // Once listed, it is the server's: a later list without it (a limit) drops it.
        let _ = board.listed(vec![7], 1, vec![done(7, "13")], 1_200);
        assert_eq!(board.values.len(), 1);
    }

    #[test]
    fn a_row_the_lists_never_show_is_dropped_after_a_while() {
        let mut board = Board::default();
        board.submitted(8, 0);
        assert!(!board.listed(Vec::new(), 0, Vec::new(), HOLD_UNLISTED_MS + 1));
        assert!(board.values.is_empty() && board.seen.is_empty());
    }

    #[test]
    fn a_refused_submission_leaves_no_trace() {
        let mut board = Board::new(vec![7], 1, vec![done(7, "13")]);
        board.submitted(7, 0);
        board.submitted(41, 0);
        board.withdraw(41);
        board.withdraw(7);
        assert_eq!(board.seen_line(), "7");
        assert_eq!(board.seen_total, 1);
        assert_eq!(board.values, vec![done(7, "13")]);
        assert!(!board.listed(vec![7], 1, vec![done(7, "13")], 10));
        assert_eq!(board.values, vec![done(7, "13")]);
    }

    #[test]
    fn long_values_are_shortened_with_their_digit_count() {
        let mut row = done(1_000_000, "1953282128707757…6838242546875");
        row.digits = Some(208_988);
        assert_eq!(
            shown(&row),
            Shown::Shortened {
                preview: "1953282128707757…6838242546875".to_owned(),
                digits: 208_988
            }
        );
        assert_eq!(grouped(208_988), "208,988");
        assert_eq!(grouped(7), "7");
        assert_eq!(grouped(1_000), "1,000");
    }
    #[test]
    fn thousands_of_submissions_show_as_the_most_recent_with_a_count() {
        let latest: Vec<u64> = (9_981..=10_000).collect();
        let mut board = Board::new(latest.clone(), 10_000, Vec::new());
        assert_eq!(board.seen.len(), 20);
        assert!(board.seen_line().starts_with("9981, 9982"));
        assert!(board.seen_is_cut());
        assert_eq!(board.seen_count(), "The 20 most recent of 10,000.");

        board.submitted(12, 0);
        assert_eq!(board.seen.len(), 20, "still the 20 most recent");
        assert!(board.seen_line().ends_with("10000, 12"));
        assert_eq!(board.seen_count(), "The 20 most recent of 10,001.");

        board.show_all_seen(true);
        assert_eq!(board.seen_limit, SEEN_ALL);
        let all: Vec<u64> = (1..=10_001).collect();
        board.listed(all, 10_001, Vec::new(), 0);
        assert_eq!(
            board.seen.len(),
            SEEN_ALL as usize,
            "the most the server lists"
        );
        assert_eq!(board.seen_count(), "The 10,000 most recent of 10,001.");

        board.show_all_seen(false);
        assert_eq!(board.seen.len(), 20, "fewer again, at once");
    }

    #[test]
    fn a_short_history_is_shown_whole_without_a_count() {
        let board = Board::new(vec![3, 5, 3], 3, Vec::new());
        assert_eq!(board.seen_line(), "3, 5, 3");
        assert!(!board.seen_is_cut());
        assert_eq!(board.seen_count(), "All 3.");
    }

    #[test]
    fn values_come_a_page_at_a_time_up_to_the_servers_largest_list() {
        let rows = |n: u64| (0..n).map(|i| done(i, "1")).collect::<Vec<_>>();
        let mut board = Board::new(Vec::new(), 0, rows(50));
        assert_eq!(board.values.len(), VALUES_PAGE as usize);
        assert!(board.more_values());

        board.show_more_values();
        board.listed(Vec::new(), 0, rows(50), 0);
        assert_eq!(board.values.len(), 2 * VALUES_PAGE as usize);

        board.listed(Vec::new(), 0, rows(30), 0);
        assert_eq!(board.values.len(), 30);
        assert!(!board.more_values(), "the server has no more");

        for _ in 0..100 {
            board.show_more_values();
        }
        assert_eq!(board.values_limit, VALUES_MAX);
        board.listed(Vec::new(), 0, rows(u64::from(VALUES_MAX)), 0);
        assert!(
            !board.more_values(),
            "no page past the server's largest list"
        );

        board.submitted(5_000, 0);
        assert_eq!(
            board.values.len(),
            VALUES_MAX as usize,
            "a new row pushes out the oldest"
        );
        assert_eq!(board.values[0].index, 5_000);
    }

    #[test]
    fn a_looked_up_value_reads_like_a_line_of_the_list() {
        let detail = |status, value: Option<&str>| ValueDetail {
            index: 7,
            status,
            digits: value.map(|value| value.len() as u64),
            value: value.map(str::to_owned),
        };
        assert_eq!(
            shown_detail(&detail(ValueStatus::Done, Some("13"))),
            Shown::Whole("13".to_owned())
        );
        let long = "1".repeat(500);
        assert_eq!(
            shown_detail(&detail(ValueStatus::Done, Some(&long))),
            Shown::Shortened {
                preview: preview(&long),
                digits: 500
            }
        );
        assert_eq!(
            shown_detail(&detail(ValueStatus::Pending, None)),
            Shown::Pending
        );
        assert_eq!(
            shown_detail(&detail(ValueStatus::Failed, None)),
            Shown::Failed
        );
    }
}
