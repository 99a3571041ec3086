# syntax=docker/dockerfile:1.7
# The web client: its wasm bundle (scripts/build-client), served by nginx on :3000 as in the
# course, with the single-page fallback and caching rules of client/nginx/default.conf.
#   docker build -f docker/client.Dockerfile -t fibstack-client .
# Dependencies compile for wasm in a layer of their own (cargo-chef).

FROM rust:1.95.0-slim-bookworm AS chef
# g++: wasm-opt (binaryen) is built from crates.io's sources.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends g++ \
 && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-unknown-unknown \
 && cargo install cargo-chef --version 0.1.78 --locked \
 && cargo install wasm-bindgen-cli --version 0.2.130 \
 && cargo install wasm-opt --version 0.116.1 --locked
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /src/recipe.json recipe.json
# Into target/client-wasm, where scripts/build-client compiles the client.
RUN CARGO_TARGET_DIR=target/client-wasm cargo chef cook --locked --target wasm32-unknown-unknown \
      --profile wasm-release -p fibstack-client --recipe-path recipe.json
COPY . .
RUN scripts/build-client /out

FROM nginxinc/nginx-unprivileged:1.28-alpine
COPY client/nginx/default.conf /etc/nginx/conf.d/default.conf
COPY --from=builder /out /usr/share/nginx/html
USER 101
EXPOSE 3000
# A shell form on purpose: `|| exit 1` turns any wget failure into "unhealthy".
# hadolint ignore=DL3025
HEALTHCHECK --interval=15s --timeout=3s --retries=3 \
  CMD wget -q -O /dev/null http://127.0.0.1:3000/ || exit 1
