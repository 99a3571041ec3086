//! Loopback ports.

use std::io;
use std::net::{TcpListener, TcpStream};

/// A port nobody listens on right now, from the OS. It could hand the port out again before the
/// service binds it, but it does not reuse a just-freed port soon, so in practice this is safe.
pub fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Whether something accepts connections on 127.0.0.1:`port`.
pub fn is_listening(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

/// The first port from `start` up that nothing listens on: a stable, readable choice
/// (`15432` for Postgres) where the OS's would differ on every run.
pub fn first_free_from(start: u16) -> Option<u16> {
    (start..=u16::MAX).find(|&port| !is_listening(port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_someone_listens_on_is_skipped() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let taken = listener.local_addr().expect("address").port();
        assert!(is_listening(taken));
        let chosen = first_free_from(taken).expect("a free port above it");
        assert!(chosen > taken);
        assert!(!is_listening(chosen));
    }
}
