//! Redis from the distribution's packages.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// `redis-server` on 127.0.0.1, its files in `dir`. Callers add the port (`--port`, or TLS) and
/// their persistence.
pub fn server(dir: &Path) -> Command {
    let mut command = Command::new("redis-server");
    command.args(["--bind", "127.0.0.1"]).arg("--dir").arg(dir);
    command
}

pub fn is_installed() -> bool {
    Command::new("redis-server")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success())
}

/// Whether a plain Redis on `port` answers PING.
pub fn answers_ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let mut reply = [0_u8; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && &reply == b"+PONG\r\n"
}
