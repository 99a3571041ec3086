//! W3C Trace Context (`traceparent`): the trace a submission belongs to, carried by the job it
//! queues, so that the worker's log (and exported span) of a computation names the request that
//! asked for it.
//!
//! `00-<trace id: 32 hex>-<parent id: 16 hex>-<flags: 2 hex>`, lowercase; ids of all zeros are
//! invalid, and a header of a later version is read by its first four fields, as the
//! recommendation asks. Stores keep it as the header's text (Redis) or as 25 bytes (SQLite).

use std::fmt;

/// A place in a trace: the trace, the span that is the parent of what follows, and the flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceParent {
    trace_id: u128,
    parent_id: u64,
    flags: u8,
}

/// The only flag defined so far: the caller records this trace.
const SAMPLED: u8 = 0x01;
/// The length of the version-00 header.
pub const HEADER_LEN: usize = 55;

impl TraceParent {
    /// The length of [`TraceParent::to_bytes`].
    pub const BYTES: usize = 25;

    /// A place in a trace from its parts; `None` for the invalid all-zero ids.
    pub fn new(trace_id: u128, parent_id: u64, flags: u8) -> Option<TraceParent> {
        (trace_id != 0 && parent_id != 0).then_some(TraceParent {
            trace_id,
            parent_id,
            flags,
        })
    }

    /// A new, sampled trace whose first span is `span_id`.
    pub fn root(trace_id: u128, span_id: u64) -> Option<TraceParent> {
        TraceParent::new(trace_id, span_id, SAMPLED)
    }

    /// Reads a `traceparent` header; `None` for anything malformed (the caller then starts a
    /// trace of its own, as the recommendation says).
    pub fn parse(header: &str) -> Option<TraceParent> {
        let mut fields = header.trim().splitn(5, '-');
        let version = hex_field(fields.next()?, 2)?;
        let trace_id = hex_field(fields.next()?, 32)?;
        let parent_id = hex_field(fields.next()?, 16)?;
        let flags = hex_field(fields.next()?, 2)?;
        let more = fields.next().is_some();
        if version == 0xff || (version == 0 && more) {
            return None;
        }
        TraceParent::new(
            trace_id,
            u64::try_from(parent_id).ok()?,
            u8::try_from(flags).ok()?,
        )
    }

    pub fn trace_id(&self) -> TraceId {
        TraceId(self.trace_id)
    }

    pub fn parent_id(&self) -> u64 {
        self.parent_id
    }

    pub fn flags(&self) -> u8 {
        self.flags
    }

    /// The version-00 header, as it is sent on and kept in the job stream.
    pub fn header(&self) -> Header {
        let mut text = [b'-'; HEADER_LEN];
        text[..2].copy_from_slice(b"00");
        write_hex(&mut text[3..35], &self.trace_id.to_be_bytes());
        write_hex(&mut text[36..52], &self.parent_id.to_be_bytes());
        write_hex(&mut text[53..55], &[self.flags]);
        Header(text)
    }

    /// Trace id, parent id and flags, big-endian: how the embedded store keeps it.
    pub fn to_bytes(&self) -> [u8; Self::BYTES] {
        let mut bytes = [0; Self::BYTES];
        bytes[..16].copy_from_slice(&self.trace_id.to_be_bytes());
        bytes[16..24].copy_from_slice(&self.parent_id.to_be_bytes());
        bytes[24] = self.flags;
        bytes
    }

    /// The inverse of [`TraceParent::to_bytes`]; `None` for anything else.
    pub fn from_bytes(bytes: &[u8]) -> Option<TraceParent> {
        let bytes: &[u8; Self::BYTES] = bytes.try_into().ok()?;
        let (trace_id, rest) = bytes.split_at(16);
        let (parent_id, flags) = rest.split_at(8);
        TraceParent::new(
            u128::from_be_bytes(trace_id.try_into().ok()?),
            u64::from_be_bytes(parent_id.try_into().ok()?),
            flags[0],
        )
    }
}

/// The header's version-00 form.
impl fmt::Display for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.header().as_str())
    }
}

/// A trace id as logs and tracing tools show it: 32 lowercase hex digits. Formatted only when
/// shown, so a log line that is filtered out costs nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceId(pub u128);

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = [0; 32];
        write_hex(&mut text, &self.0.to_be_bytes());
        f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

/// The text of a version-00 header, without allocating.
#[derive(Clone, Copy)]
pub struct Header([u8; HEADER_LEN]);

impl Header {
    pub fn as_str(&self) -> &str {
        // Only hex digits and dashes are ever written.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

fn write_hex(out: &mut [u8], bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (pair, byte) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(byte >> 4)];
        pair[1] = DIGITS[usize::from(byte & 0xf)];
    }
}

/// A field of exactly `width` lowercase hex digits.
fn hex_field(field: &str, width: usize) -> Option<u128> {
    let lowercase_hex = field
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if field.len() != width || !lowercase_hex {
        return None;
    }
    u128::from_str_radix(field, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn the_recommendation_s_example_reads_and_writes_back_unchanged() {
        let parent = TraceParent::parse(EXAMPLE).expect("valid");
        assert_eq!(parent.to_string(), EXAMPLE);
        assert_eq!(parent.header().as_str(), EXAMPLE);
        assert_eq!(
            parent.trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert_eq!(parent.parent_id(), 0x00f0_67aa_0ba9_02b7);
        assert_eq!(parent.flags(), 1);
    }

    #[test]
    fn the_stored_bytes_read_back_as_the_same_place() {
        let parent = TraceParent::parse(EXAMPLE).expect("valid");
        let bytes = parent.to_bytes();
        assert_eq!(bytes[0], 0x4b, "big-endian");
        assert_eq!(TraceParent::from_bytes(&bytes), Some(parent));
        assert_eq!(TraceParent::from_bytes(&bytes[1..]), None);
        assert_eq!(TraceParent::from_bytes(&[0; TraceParent::BYTES]), None);
    }

    #[test]
    fn ids_of_zeros_make_no_trace() {
        assert_eq!(TraceParent::root(1, 0), None);
        assert_eq!(TraceParent::root(0, 1), None);
        let root = TraceParent::root(1, 2).expect("valid");
        assert_eq!(
            root.to_string(),
            "00-00000000000000000000000000000001-0000000000000002-01"
        );
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
            "00-+bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ] {
            assert_eq!(TraceParent::parse(header), None, "{header:?}");
        }
    }
}
