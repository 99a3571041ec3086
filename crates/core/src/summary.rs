//! Shortening long decimal values for lists, so a summary of F(10^6) is a line, not 200 KB.

/// Values up to this many digits are shown whole.
pub const PREVIEW_WHOLE_UP_TO: usize = 40;
/// Digits kept at each end of a shortened value.
const PREVIEW_END_DIGITS: usize = 16;

/// The value itself when short, otherwise its first and last digits around an ellipsis:
/// `"1953282128707757…6838242546875"`. Pair it with the digit count.
pub fn preview(decimal: &str) -> String {
    if decimal.len() <= PREVIEW_WHOLE_UP_TO || !decimal.is_ascii() {
        return decimal.to_owned();
    }
    let head = &decimal[..PREVIEW_END_DIGITS];
    let tail = &decimal[decimal.len() - PREVIEW_END_DIGITS..];
    format!("{head}…{tail}")
}

/// Number of decimal digits of a stored value (`"0"` has one).
pub fn digit_count(decimal: &str) -> u64 {
    decimal.len() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_are_shown_whole() {
        assert_eq!(preview("13"), "13");
        let forty = "1".repeat(40);
        assert_eq!(preview(&forty), forty);
    }

    #[test]
    fn long_values_keep_both_ends() {
        let value: String = (0..100)
            .map(|i| char::from(b'0' + (i % 10) as u8))
            .collect();
        let shown = preview(&value);
        assert_eq!(shown, "0123456789012345…4567890123456789");
        assert!(value.starts_with(shown.split('…').next().unwrap_or_default()));
    }
}
