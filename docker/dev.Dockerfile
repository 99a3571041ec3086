# syntax=docker/dockerfile:1.7
# Development images for docker-compose.yml: toolchains only. The source is mounted at /app and
# target/ is a named volume (the Rust analog of the course's /app/node_modules volume), so a save
# rebuilds and restarts the service without rebuilding the image.

FROM rust:1.95.0-bookworm AS rust-dev
RUN cargo install cargo-watch --version 8.5.3 --locked
WORKDIR /app

FROM rust-dev AS client-dev
RUN rustup target add wasm32-unknown-unknown \
 && cargo install trunk --version 0.21.14 --locked \
 && cargo install wasm-bindgen-cli --version 0.2.130
WORKDIR /app/client
