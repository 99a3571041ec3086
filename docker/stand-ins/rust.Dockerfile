# Stand-in for rust:1.95.0-slim-trixie (scripts/base-images): Debian with gcc and the pinned
# toolchain as the host's rustup installed it (no docs, no wasm target: like the upstream image,
# `rustup target add` fetches it). The same paths and variables as the upstream image.
FROM fibstack-stand-in/debian:trixie
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# Certificate authorities the host trusts beyond Debian's (a TLS-inspecting proxy's, say), so
# that cargo and rustup reach their registries from inside a build as they do from the host.
COPY ca-certificates/ /usr/local/share/ca-certificates/
RUN update-ca-certificates
ENV RUSTUP_HOME=/usr/local/rustup \
    CARGO_HOME=/usr/local/cargo \
    PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    RUST_VERSION=1.95.0
COPY rustup/ /usr/local/rustup/
COPY cargo/ /usr/local/cargo/
RUN rustc --version && cargo --version
