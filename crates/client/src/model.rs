//! What the page shows, as plain data: no DOM, no network, tested natively.

use fibstack_core::http::{ValueEvent, ValueStatus, ValueSummary};
use fibstack_core::summary::PREVIEW_WHOLE_UP_TO;

/// How long a row this tab heard of (its own submission, or an event) is kept while the
/// server's lists do not show it yet. The server queues a job before it records the submission,
/// so a value's event can arrive before the lists include its index.
pub const HOLD_UNLISTED_MS: u64 = 10_000;

/// The calculated-values list, newest first, as the server last described it plus what this
/// tab has heard of since.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Board {
    /// Every submission, oldest first (the seed's "Indexes I have seen").
    pub seen: Vec<u64>,
    /// One row per index, newest first.
    pub values: Vec<ValueSummary>,
    /// Indexes heard of here that no list from the server has shown yet, and when (ms).
    unlisted: Vec<(u64, u64)>,
}

impl Board {
    /// The server's lists, as read.
    pub fn new(seen: Vec<u64>, values: Vec<ValueSummary>) -> Board {
        Board {
            seen,
            values,
            unlisted: Vec::new(),
        }
    }

    /// Fresh lists from the server replace the board, except the rows heard of here that they
    /// do not show yet (for up to [`HOLD_UNLISTED_MS`]). True while such rows remain: the
    /// lists should be read again shortly.
    pub fn listed(&mut self, mut seen: Vec<u64>, values: Vec<ValueSummary>, now_ms: u64) -> bool {
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
        for row in &kept {
            if !seen.contains(&row.index) {
                seen.push(row.index);
            }
        }
        kept.extend(values);
        self.values = kept;
        self.seen = seen;
        !self.unlisted.is_empty()
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
        }
    }

    fn heard(&mut self, index: u64, now_ms: u64) {
        self.unlisted.retain(|&(heard, _)| heard != index);
        self.unlisted.push((index, now_ms));
    }

    /// A submission this tab just made: shown as pending at once, before the server says more.
    pub fn submitted(&mut self, index: u64, now_ms: u64) {
        self.seen.push(index);
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
        let mut board = Board::new(vec![7], vec![done(7, "13")]);
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
        let mut board = Board::new(vec![7], vec![done(7, "13")]);
        let event = ValueEvent {
            index: 40,
            status: ValueStatus::Done,
            digits: Some(9),
        };
        board.apply(&event, 1_000);
        // The lists were read before the submission of 40 was recorded.
        assert!(
            board.listed(vec![7], vec![done(7, "13")], 1_050),
            "read again"
        );
        assert_eq!(board.values[0].index, 40, "kept while the lists lag");
        assert_eq!(board.seen_line(), "7, 40");
        // Then they show it: the server's row replaces the one heard of.
        let waiting = board.listed(
            vec![7, 40],
            vec![done(40, "102334155"), done(7, "13")],
            1_100,
        );
        assert!(!waiting);
        assert_eq!(board.values[0], done(40, "102334155"));
        assert_eq!(board.values.len(), 2);
        // Once listed, it is the server's: a later list without it (a limit) drops it.
        let _ = board.listed(vec![7], vec![done(7, "13")], 1_200);
        assert_eq!(board.values.len(), 1);
    }

    #[test]
    fn a_row_the_lists_never_show_is_dropped_after_a_while() {
        let mut board = Board::default();
        board.submitted(8, 0);
        assert!(!board.listed(Vec::new(), Vec::new(), HOLD_UNLISTED_MS + 1));
        assert!(board.values.is_empty() && board.seen.is_empty());
    }

    #[test]
    fn a_refused_submission_leaves_no_trace() {
        let mut board = Board::new(vec![7], vec![done(7, "13")]);
        board.submitted(7, 0);
        board.submitted(41, 0);
        board.withdraw(41);
        board.withdraw(7);
        assert_eq!(board.seen_line(), "7");
        assert_eq!(board.values, vec![done(7, "13")]);
        assert!(!board.listed(vec![7], vec![done(7, "13")], 10));
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
}
