//! W3C Trace Context (`traceparent`): the trace a request belongs to, carried with the job it
//! queues, so that the worker's log of a computation names the request that asked for it.
//!
//! `00-<trace id: 32 hex>-<parent id: 16 hex>-<flags: 2 hex>`; ids of all zeros are invalid, and
//! a header of a later version is read by its first four fields, as the recommendation asks.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceParent {
    trace_id: u128,
    parent_id: u64,
    flags: u8,
}

/// Sampled: the only flag defined so far.
const SAMPLED: u8 = 0x01;

impl TraceParent {
    /// A new trace, with its first span; `None` for the invalid all-zero ids.
    pub fn root(trace_id: u128, span_id: u64) -> Option<TraceParent> {
        (trace_id != 0 && span_id != 0).then_some(TraceParent {
            trace_id,
            parent_id: span_id,
            flags: SAMPLED,
        })
    }

    /// The same trace, with `span_id` as the parent of what follows (a span of this process).
    pub fn child(self, span_id: u64) -> Option<TraceParent> {
        (span_id != 0).then_some(TraceParent {
            parent_id: span_id,
            ..self
        })
    }

    /// Reads a `traceparent` header; `None` for anything malformed (the caller starts a new
    /// trace instead, as the recommendation says).
    pub fn parse(header: &str) -> Option<TraceParent> {
        let header = header.trim();
        let mut fields = header.splitn(5, '-');
        let version = fields.next()?;
        let trace_id = fields.next()?;
        let parent_id = fields.next()?;
        let flags = fields.next()?;
        let rest = fields.next();
        let hex = |field: &str, width: usize| {
            field.len() == width
                && field
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        if !hex(version, 2) || version == "ff" || !hex(trace_id, 32) || !hex(parent_id, 16) {
            return None;
        }
        if !hex(flags, 2) || (version == "00" && rest.is_some()) {
            return None;
        }
        let trace_id = u128::from_str_radix(trace_id, 16).ok()?;
        let parent_id = u64::from_str_radix(parent_id, 16).ok()?;
        let flags = u8::from_str_radix(flags, 16).ok()?;
        (trace_id != 0 && parent_id != 0).then_some(TraceParent {
            trace_id,
            parent_id,
            flags,
        })
    }

    /// The trace id as logs and tracing tools show it: 32 lowercase hex digits.
    pub fn trace_id(&self) -> String {
        format!("{:032x}", self.trace_id)
    }
}

/// The header's version-00 form.
impl fmt::Display for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "00-{:032x}-{:016x}-{:02x}",
            self.trace_id, self.parent_id, self.flags
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn the_recommendation_s_example_reads_and_writes_back_unchanged() {
        let parent = TraceParent::parse(EXAMPLE).expect("valid");
        assert_eq!(parent.to_string(), EXAMPLE);
        assert_eq!(parent.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
    }

    #[test]
    fn a_child_keeps_the_trace_and_names_its_own_parent() {
        let child = TraceParent::parse(EXAMPLE)
            .and_then(|parent| parent.child(0xabc))
            .expect("valid");
        assert_eq!(
            child.to_string(),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000abc-01"
        );
        assert_eq!(TraceParent::root(1, 0), None);
        assert_eq!(TraceParent::root(0, 1), None);
    }

    #[test]
    fn a_later_version_is_read_by_its_first_four_fields() {
        let later = "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes-next";
        assert_eq!(
            TraceParent::parse(later).map(|p| p.to_string()),
            Some(EXAMPLE.to_owned())
        );
    }

    #[test]
    fn malformed_headers_are_refused() {
        for header in [
            "",
            "00",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ] {
            assert_eq!(TraceParent::parse(header), None, "{header:?}");
        }
    }
}
