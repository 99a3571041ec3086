//! `fibstack healthcheck`: asks a running api for `/healthz`, for container `HEALTHCHECK`s
//! (distroless images have no curl). Exit status 0 when it answers 200.

use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const TIMEOUT: Duration = Duration::from_secs(3);

/// One `GET` over plain HTTP/1.1; returns the status code.
pub async fn probe(host: &str, port: u16, path: &str) -> anyhow::Result<u16> {
    let exchange = async {
        let mut stream = TcpStream::connect((host, port))
            .await
            .with_context(|| format!("nothing is listening on {host}:{port}"))?;
        let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut head = vec![0u8; 64];
        let read = stream.read(&mut head).await?;
        let line = String::from_utf8_lossy(&head[..read]);
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .context("the answer is not HTTP")?;
        anyhow::Ok(status)
    };
    match tokio::time::timeout(TIMEOUT, exchange).await {
        Ok(result) => result,
        Err(_) => bail!("no answer from {host}:{port} within {TIMEOUT:?}"),
    }
}
