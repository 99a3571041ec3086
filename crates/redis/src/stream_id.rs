//! What a stream entry's id says: Redis's clock, in milliseconds, when the entry was added
//! (`1700000000000-0`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// When the entry was added, by Redis's clock; `None` for an id not of that form.
pub fn added_at(id: &str) -> Option<SystemTime> {
    let millis: u64 = id.split_once('-')?.0.parse().ok()?;
    Some(UNIX_EPOCH + Duration::from_millis(millis))
}

/// How long before `now` the entry was added. Compared with this host's clock; a clock behind
/// Redis's reads as zero.
pub fn age(id: &str, now: SystemTime) -> Option<Duration> {
    Some(now.duration_since(added_at(id)?).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_s_age_is_read_from_its_id() {
        let now = UNIX_EPOCH + Duration::from_millis(1_700_000_012_500);
        assert_eq!(
            age("1700000000000-3", now),
            Some(Duration::from_millis(12_500))
        );
        assert_eq!(
            age("1700000020000-0", now),
            Some(Duration::ZERO),
            "an id ahead of this clock"
        );
        assert_eq!(age("not-an-id", now), None);
        assert_eq!(age("1700000000000", now), None);
    }
}
