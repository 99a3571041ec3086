//! The router (and a stand-in client behind it), rendered by the same script `scripts/stack`
//! uses, from the same template the container image uses.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::process::{Service, free_port, wait_for};

fn render_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../nginx/render.sh")
}

/// The built client (scripts/build-client) when there is one, as `scripts/stack` chooses.
pub fn client_root() -> PathBuf {
    let client = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../client");
    if client.join("dist/index.html").exists() {
        client.join("dist")
    } else {
        client.join("placeholder")
    }
}

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
        let status = Command::new(render_script())
            .arg("router")
            .arg(&dir)
            .env("TRUSTED_PROXY_CIDR", trusted_proxy.unwrap_or_default())
            .env("API_UPSTREAM", format!("127.0.0.1:{api_port}"))
            .env("CLIENT_UPSTREAM", format!("127.0.0.1:{client_port}"))
            .env("LISTEN_PORT", format!("127.0.0.1:{port}"))
            .env("RATE_LIMIT_RPS", rate_limit_rps.to_string())
            .status()
            .expect("nginx/render.sh runs");
        assert!(status.success(), "rendering the router failed");
        Self::start(&dir, port)
    }

    /// The client's files, served the way the client image serves them.
    pub fn client(dir: &Path) -> TestNginx {
        let port = free_port();
        let dir = dir.join("client");
        let status = Command::new(render_script())
            .arg("client")
            .arg(&dir)
            .arg(client_root())
            .env("LISTEN_PORT", format!("127.0.0.1:{port}"))
            .status()
            .expect("nginx/render.sh runs");
        assert!(status.success(), "rendering the client server failed");
        Self::start(&dir, port)
    }

    fn start(dir: &Path, port: u16) -> TestNginx {
        let mut command = Command::new("nginx");
        command
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .args(["-g", "daemon off;"]);
        let server = Service::spawn("nginx", command, &dir.join("stderr.log"));
        wait_for("nginx to listen", Duration::from_secs(10), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).ok()
        });
        TestNginx {
            port,
            _server: server,
        }
    }
}
