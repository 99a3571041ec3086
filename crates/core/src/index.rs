//! [`FibIndex`]: an index that has been checked against the configured limit.
//!
//! Every way an index enters the system (a JSON body, a path segment, a form field in the browser,
//! a job read back from the queue) goes through [`IndexPolicy`], so everything past the edge can
//! take a `FibIndex` and never check again.

use std::fmt;

use serde_json::Value;

/// The index limit when `FIB_MAX_INDEX` is not set.
pub const DEFAULT_MAX_INDEX: u64 = 1_000_000;

/// The largest limit that can be configured: F(2^32) would already have about 900 million digits,
/// more than a gigabyte in binary and decimal together.
pub const MAX_SUPPORTED_INDEX: u64 = u32::MAX as u64;

/// An index `n` of F(n), known to be within the limit it was parsed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FibIndex(u64);

impl FibIndex {
    pub fn get(self) -> u64 {
        self.0
    }
}

/// For numbers the program itself holds (rows read back, tests): checked only against
/// [`MAX_SUPPORTED_INDEX`], not the configured limit, so a lowered `FIB_MAX_INDEX` hides nothing
/// already stored. Input from people goes through [`IndexPolicy`].
impl TryFrom<u64> for FibIndex {
    type Error = IndexError;

    fn try_from(n: u64) -> Result<Self, Self::Error> {
        IndexPolicy::new(MAX_SUPPORTED_INDEX).check(n)
    }
}

/// [`FibIndex::try_from`] for a database's signed integer column.
impl TryFrom<i64> for FibIndex {
    type Error = IndexError;

    fn try_from(n: i64) -> Result<Self, Self::Error> {
        IndexPolicy::new(MAX_SUPPORTED_INDEX).check_signed(n)
    }
}

impl fmt::Display for FibIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Why a candidate index was refused. Each message is a sentence a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexError {
    #[error("the index is empty: enter a whole number from 0 to {max}")]
    Empty { max: u64 },
    #[error("the index is missing: send a JSON object like {{\"index\": 7}}")]
    Missing,
    #[error("the index must be a whole number from 0 to {max}, not {shown}")]
    NotAnInteger { shown: String, max: u64 },
    #[error("the index must not be negative: enter a whole number from 0 to {max}")]
    Negative { max: u64 },
    #[error(
        "the index must be a whole number, not a fraction: enter a whole number from 0 to {max}"
    )]
    Fraction { max: u64 },
    #[error("the index is larger than this server's limit of {max}")]
    TooLarge { max: u64 },
}

/// The rules an index must follow; the limit comes from `FIB_MAX_INDEX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexPolicy {
    max: u64,
}

impl Default for IndexPolicy {
    fn default() -> Self {
        IndexPolicy {
            max: DEFAULT_MAX_INDEX,
        }
    }
}

/// Longest piece of a refused input repeated back in an error message.
const SHOWN_INPUT_LIMIT: usize = 24;

impl IndexPolicy {
    /// A policy accepting `0..=max`; `max` is capped at [`MAX_SUPPORTED_INDEX`].
    pub fn new(max: u64) -> Self {
        IndexPolicy {
            max: max.min(MAX_SUPPORTED_INDEX),
        }
    }

    pub fn max(&self) -> u64 {
        self.max
    }

    /// Parses text as typed by a person or found in a URL: decimal digits, optional surrounding
    /// whitespace, no sign, no exponent.
    pub fn parse_str(&self, raw: &str) -> Result<FibIndex, IndexError> {
        let max = self.max;
        let text = raw.trim();
        if text.is_empty() {
            return Err(IndexError::Empty { max });
        }
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = match digits.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (digits, None),
        };
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let shape_ok = all_digits(whole) && fraction.is_none_or(all_digits);
        if !shape_ok {
            return Err(IndexError::NotAnInteger {
                shown: shown(text),
                max,
            });
        }
        let fraction_is_zero = fraction.is_none_or(|f| f.bytes().all(|b| b == b'0'));
        let whole_is_zero = whole.bytes().all(|b| b == b'0');
        if negative && !(whole_is_zero && fraction_is_zero) {
            return Err(IndexError::Negative { max });
        }
        if fraction.is_some() {
            return Err(IndexError::Fraction { max });
        }
        // All digits, so the only way to fail is overflow.
        let n: u64 = whole.parse().map_err(|_| IndexError::TooLarge { max })?;
        self.check(n)
    }

    /// Parses the `index` member of a JSON body: a number or a string of digits (the course's
    /// client sends the text of its input field).
    pub fn parse_json(&self, value: Option<&Value>) -> Result<FibIndex, IndexError> {
        let max = self.max;
        match value {
            None | Some(Value::Null) => Err(IndexError::Missing),
            Some(Value::String(s)) => self.parse_str(s),
            Some(Value::Number(number)) => {
                if let Some(n) = number.as_u64() {
                    self.check(n)
                } else if number.as_i64().is_some() {
                    Err(IndexError::Negative { max })
                } else {
                    // A float. One with no fractional part is an integer as JSON Schema counts
                    // them (`7.0`), so it is accepted; too big for u64 means past any limit.
                    let f = number.as_f64().unwrap_or(f64::NAN);
                    if f < 0.0 {
                        Err(IndexError::Negative { max })
                    } else if f.fract() != 0.0 {
                        Err(IndexError::Fraction { max })
                    } else if f >= u64::MAX as f64 {
                        Err(IndexError::TooLarge { max })
                    } else {
                        self.check(f as u64)
                    }
                }
            }
            Some(other) => Err(IndexError::NotAnInteger {
                shown: shown(&other.to_string()),
                max,
            }),
        }
    }

    /// Checks a number that is already an integer (a queued job, a row) against the limit.
    pub fn check(&self, n: u64) -> Result<FibIndex, IndexError> {
        if n > self.max {
            Err(IndexError::TooLarge { max: self.max })
        } else {
            Ok(FibIndex(n))
        }
    }

    /// [`IndexPolicy::check`] for a database's signed integer column.
    pub fn check_signed(&self, n: i64) -> Result<FibIndex, IndexError> {
        match u64::try_from(n) {
            Ok(n) => self.check(n),
            Err(_) => Err(IndexError::Negative { max: self.max }),
        }
    }
}

/// A regular expression for the decimal texts this policy accepts without trimming: digits, any
/// leading zeros, a value at most `max`. For the OpenAPI document, so a schema-valid text is
/// always an accepted one.
pub fn text_pattern(max: u64) -> String {
    let digits: Vec<u8> = max.to_string().bytes().map(|b| b - b'0').collect();
    let len = digits.len();
    let mut same_length = Vec::new();
    for (i, &digit) in digits.iter().enumerate() {
        if digit == 0 {
            continue;
        }
        let prefix: String = digits[..i].iter().map(|d| char::from(b'0' + d)).collect();
        let below = if digit == 1 {
            "0".to_owned()
        } else {
            format!("[0-{}]", digit - 1)
        };
        let rest = len - i - 1;
        let tail = if rest == 0 {
            String::new()
        } else {
            format!("[0-9]{{{rest}}}")
        };
        same_length.push(format!("{prefix}{below}{tail}"));
    }
    same_length.push(max.to_string());
    let shorter = if len > 1 {
        format!("[0-9]{{1,{}}}|", len - 1)
    } else {
        String::new()
    };
    format!("^0*(?:{shorter}{})$", same_length.join("|"))
}

/// Quotes a refused input, cut short so an error never echoes a megabyte back.
fn shown(text: &str) -> String {
    let mut cut: String = text.chars().take(SHOWN_INPUT_LIMIT).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    format!("{cut:?}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy() -> IndexPolicy {
        IndexPolicy::new(1000)
    }

    #[test]
    fn accepts_plain_digits_with_surrounding_space_and_leading_zeros() {
        assert_eq!(policy().parse_str("7").map(FibIndex::get), Ok(7));
        assert_eq!(policy().parse_str(" 40\n").map(FibIndex::get), Ok(40));
        assert_eq!(policy().parse_str("007").map(FibIndex::get), Ok(7));
        assert_eq!(policy().parse_str("0").map(FibIndex::get), Ok(0));
        assert_eq!(policy().parse_str("1000").map(FibIndex::get), Ok(1000));
    }

    #[test]
    fn refuses_each_kind_of_bad_text_with_its_own_reason() {
        let p = policy();
        assert_eq!(p.parse_str(""), Err(IndexError::Empty { max: 1000 }));
        assert_eq!(p.parse_str("   "), Err(IndexError::Empty { max: 1000 }));
        assert_eq!(p.parse_str("-1"), Err(IndexError::Negative { max: 1000 }));
        assert_eq!(p.parse_str("7.5"), Err(IndexError::Fraction { max: 1000 }));
        assert_eq!(p.parse_str("7.0"), Err(IndexError::Fraction { max: 1000 }));
        assert_eq!(p.parse_str("1001"), Err(IndexError::TooLarge { max: 1000 }));
        assert_eq!(
            p.parse_str("99999999999999999999999"),
            Err(IndexError::TooLarge { max: 1000 })
        );
        for bad in ["abc", "+7", "1e3", "0x10", "7 8", "٣", "-", ".5", "5."] {
            assert!(
                matches!(p.parse_str(bad), Err(IndexError::NotAnInteger { .. })),
                "{bad:?} should be refused as not an integer"
            );
        }
    }

    #[test]
    fn integers_the_program_holds_are_checked_against_the_supported_range_not_the_limit() {
        assert_eq!(FibIndex::try_from(5_000u64).map(FibIndex::get), Ok(5_000));
        assert_eq!(
            FibIndex::try_from(MAX_SUPPORTED_INDEX + 1),
            Err(IndexError::TooLarge {
                max: MAX_SUPPORTED_INDEX
            })
        );
        assert_eq!(
            FibIndex::try_from(-1i64),
            Err(IndexError::Negative {
                max: MAX_SUPPORTED_INDEX
            })
        );
        assert_eq!(policy().check_signed(1000).map(FibIndex::get), Ok(1000));
        assert_eq!(
            policy().check_signed(1001),
            Err(IndexError::TooLarge { max: 1000 })
        );
        assert_eq!(
            policy().check_signed(i64::MIN),
            Err(IndexError::Negative { max: 1000 })
        );
    }

    #[test]
    fn negative_zero_is_zero() {
        assert_eq!(policy().parse_str("-0").map(FibIndex::get), Ok(0));
    }

    #[test]
    fn json_numbers_and_strings_are_both_accepted() {
        let p = policy();
        assert_eq!(p.parse_json(Some(&json!(7))).map(FibIndex::get), Ok(7));
        assert_eq!(p.parse_json(Some(&json!("7"))).map(FibIndex::get), Ok(7));
        assert_eq!(p.parse_json(Some(&json!(7.0))).map(FibIndex::get), Ok(7));
        assert_eq!(
            p.parse_json(Some(&json!(1001.0))),
            Err(IndexError::TooLarge { max: 1000 })
        );
    }

    #[test]
    fn json_refusals_name_the_problem() {
        let p = policy();
        assert_eq!(p.parse_json(None), Err(IndexError::Missing));
        assert_eq!(p.parse_json(Some(&json!(null))), Err(IndexError::Missing));
        assert_eq!(
            p.parse_json(Some(&json!(-3))),
            Err(IndexError::Negative { max: 1000 })
        );
        assert_eq!(
            p.parse_json(Some(&json!(2.5))),
            Err(IndexError::Fraction { max: 1000 })
        );
        assert_eq!(
            p.parse_json(Some(&json!(1e30))),
            Err(IndexError::TooLarge { max: 1000 })
        );
        assert!(matches!(
            p.parse_json(Some(&json!([7]))),
            Err(IndexError::NotAnInteger { .. })
        ));
        assert!(matches!(
            p.parse_json(Some(&json!({"n": 7}))),
            Err(IndexError::NotAnInteger { .. })
        ));
    }

    #[test]
    fn error_messages_quote_long_input_only_briefly() {
        let long = "x".repeat(10_000);
        let message = policy()
            .parse_str(&long)
            .expect_err("not an index")
            .to_string();
        assert!(message.len() < 120, "{message}");
    }

    #[test]
    fn the_text_pattern_accepts_exactly_the_numbers_up_to_the_limit() {
        for max in [0u64, 1, 9, 10, 40, 99, 100, 1000, 1205, 30_000] {
            let pattern = regex::Regex::new(&text_pattern(max)).expect("a valid pattern");
            for n in 0..=max + 150 {
                let text = n.to_string();
                assert_eq!(
                    pattern.is_match(&text),
                    n <= max,
                    "{text} against max {max}"
                );
                assert_eq!(pattern.is_match(&format!("00{text}")), n <= max);
            }
            assert!(!pattern.is_match("-1") && !pattern.is_match("1.5") && !pattern.is_match(""));
        }
        assert_eq!(
            text_pattern(1_000_000),
            "^0*(?:[0-9]{1,6}|0[0-9]{6}|1000000)$"
        );
    }

    /// Whatever a JSON body's `index` can be: numbers of every kind, text, and the wrong types.
    fn json_values() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        prop_oneof![
            any::<u64>().prop_map(|n| json!(n)),
            any::<i64>().prop_map(|n| json!(n)),
            any::<f64>().prop_map(|n| json!(n)),
            "[0-9]{0,25}".prop_map(|s| json!(s)),
            ".{0,30}".prop_map(|s| json!(s)),
            Just(json!(null)),
            any::<bool>().prop_map(|b| json!(b)),
            prop::collection::vec(any::<u16>(), 0..3).prop_map(|v| json!(v)),
        ]
    }

    /// What a person would accept as an index up to 1000, written without the parser: digits
    /// around optional whitespace, or a minus sign before nothing but zeros.
    fn text_oracle(text: &str) -> Option<u64> {
        let text = text.trim();
        let digits = text
            .strip_prefix('-')
            .filter(|rest| rest.bytes().all(|b| b == b'0'))
            .unwrap_or(text);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let value = digits.trim_start_matches('0');
        (value.len() <= 4)
            .then(|| value.parse().unwrap_or(0))
            .filter(|&n| n <= 1000)
    }

    /// [`text_oracle`] for a JSON `index`: a non-negative whole number (`7.0` counts), or text.
    fn json_oracle(value: &Value) -> Option<u64> {
        match value {
            Value::String(text) => text_oracle(text),
            Value::Number(number) => {
                let whole = number
                    .as_f64()
                    .filter(|f| f.fract() == 0.0 && (0.0..=1000.0).contains(f));
                number
                    .as_u64()
                    .or(whole.map(|f| f as u64))
                    .filter(|&n| n <= 1000)
            }
            _ => None,
        }
    }

    /// A refusal a person can act on: it says which numbers would be accepted.
    fn tells_the_range(error: &IndexError) -> bool {
        let message = error.to_string();
        message.contains("from 0 to 1000") || message.contains("limit of 1000")
    }

    proptest::proptest! {
        #[test]
        fn every_number_within_the_limit_round_trips(n in 0u64..=1000) {
            proptest::prop_assert_eq!(policy().parse_str(&n.to_string()).map(FibIndex::get), Ok(n));
            proptest::prop_assert_eq!(policy().parse_json(Some(&json!(n))).map(FibIndex::get), Ok(n));
        }

        #[test]
        fn any_json_index_is_accepted_exactly_when_it_is_a_whole_number_within_the_limit(
            value in json_values()
        ) {
            let parsed = policy().parse_json(Some(&value));
            let accepted = parsed.as_ref().ok().map(|index| index.get());
            proptest::prop_assert_eq!(accepted, json_oracle(&value));
            if let Err(error) = parsed {
                // Nothing at all is answered with the shape to send; anything else with the range.
                let missing = value.is_null() && error == IndexError::Missing;
                proptest::prop_assert!(missing || tells_the_range(&error), "{}", error);
            }
        }

        #[test]
        fn any_text_is_accepted_exactly_when_it_is_a_whole_number_within_the_limit(
            text in "[ 0-9.+-]{0,6}|.{0,40}"
        ) {
            let parsed = policy().parse_str(&text);
            let accepted = parsed.as_ref().ok().map(|index| index.get());
            proptest::prop_assert_eq!(accepted, text_oracle(&text));
            if let Err(error) = parsed {
                proptest::prop_assert!(tells_the_range(&error), "{}", error);
            }
        }
    }
}
