//! The router (and a stand-in client behind it), rendered by the same script `scripts/stack`
//! uses, from the same template the container image uses.

use std::path::Path;
use std::time::Duration;

use fibstack_devstack::nginx;

use super::process::{Service, free_port, spawn, wait_for};

#[derive(Debug)]
pub struct TestNginx {
    pub port: u16,
    _server: Service,
}

impl TestNginx {
    /// The router on a free port, in front of the api and the client.
    /// With `trusted_proxy` (a CIDR), it takes the client's address from X-Forwarded-For when
    /// the request comes from there.
    pub fn router(
        dir: &Path,
        api_port: u16,
        client_port: u16,
        rate_limit_rps: u32,
        trusted_proxy: Option<&str>,
    ) -> TestNginx {
        let port = free_port();
        let dir = dir.join("router");
        let vars = [
            (
                "TRUSTED_PROXY_CIDR",
                trusted_proxy.unwrap_or_default().to_owned(),
            ),
            ("API_UPSTREAM", format!("127.0.0.1:{api_port}")),
            ("CLIENT_UPSTREAM", format!("127.0.0.1:{client_port}")),
            ("LISTEN_PORT", format!("127.0.0.1:{port}")),
            ("RATE_LIMIT_RPS", rate_limit_rps.to_string()),
        ];
        nginx::render("router", &dir, None, &vars).expect("the router renders");
        Self::start(&dir, port)
    }

    /// The client's files, served the way the client image serves them.
    pub fn client(dir: &Path) -> TestNginx {
        let port = free_port();
        let dir = dir.join("client");
        let vars = [("LISTEN_PORT", format!("127.0.0.1:{port}"))];
        nginx::render("client", &dir, Some(&nginx::client_root()), &vars)
            .expect("the client's server renders");
        Self::start(&dir, port)
    }

    fn start(dir: &Path, port: u16) -> TestNginx {
        let server = spawn("nginx", nginx::server(dir), &dir.join("stderr.log"));
        wait_for("nginx to listen", Duration::from_secs(10), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).ok()
        });
        TestNginx {
            port,
            _server: server,
        }
    }
}
