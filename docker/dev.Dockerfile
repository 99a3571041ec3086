# Development images for docker-compose.yml: toolchains only. The source is mounted at /app and
# target/ is a named volume (the Rust analog of the course's /app/node_modules volume), so a save
# rebuilds and restarts the service without rebuilding the image.

FROM rust:1.95.0-slim-bookworm AS rust-dev
# Tools are compiled for a quick build rather than top speed: each runs a few times per build.
RUN export CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
 && cargo install cargo-watch --version 8.5.3 --locked
# rust-toolchain.toml's extra components (rustfmt, clippy, the wasm target) are for the host:
# rustup must not fetch them by itself here (the client's image adds the wasm target it needs).
ENV RUSTUP_AUTO_INSTALL=0
WORKDIR /app

FROM rust-dev AS client-dev
RUN rustup target add wasm32-unknown-unknown \
 && export CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
 && cargo install trunk --version 0.21.14 --locked \
 && cargo install wasm-bindgen-cli --version 0.2.130
WORKDIR /app/client
