# The api and worker images: one build, two targets.
#   docker build -f docker/fibstack.Dockerfile --target api -t fibstack-api .
#   docker build -f docker/fibstack.Dockerfile --target worker -t fibstack-worker .
# Dependencies compile in a layer of their own (cargo-chef), so a source change rebuilds only
# fibstack. The runtime is distroless: the binary, glibc, nothing else. Only classic builder
# features, so BuildKit is welcome but not needed.

FROM rust:1.95.0-slim-trixie AS chef
# Tools are compiled for a quick build rather than top speed: each runs a few times per build.
RUN export CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
 && cargo install cargo-chef --version 0.1.78 --locked
# rust-toolchain.toml's extra components and targets are for development: rustup must not fetch
# them by itself here (the client's stage adds the wasm target it needs).
ENV RUSTUP_AUTO_INSTALL=0
# These images run the api and the worker, never the all-in-one app: no client to embed.
ENV FIBSTACK_EMBED_CLIENT=0
WORKDIR /src

FROM chef AS planner
# The sources the build reads, and nothing else: an edit elsewhere (docs, scripts, compose
# files) leaves every layer cached.
COPY Cargo.toml Cargo.lock rust-toolchain.toml ./
COPY crates crates
COPY client client
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --locked -p fibstack --recipe-path recipe.json
COPY Cargo.toml Cargo.lock rust-toolchain.toml ./
COPY crates crates
COPY client client
RUN cargo build --release --locked -p fibstack \
 && install -D target/release/fibstack /out/fibstack

FROM gcr.io/distroless/cc-debian13:nonroot AS runtime
COPY --from=builder /out/fibstack /usr/local/bin/fibstack
USER 65532:65532
ENV LOG_FORMAT=json
ENTRYPOINT ["/usr/local/bin/fibstack"]

FROM runtime AS worker
# /metrics and /healthz for Prometheus and probes (without PORT, the worker serves nothing).
ENV PORT=5001
EXPOSE 5001
# Healthy while it can reach its queue.
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/fibstack", "healthcheck", "--redis"]
CMD ["worker"]

FROM runtime AS api
ENV PORT=5000
EXPOSE 5000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/fibstack", "healthcheck"]
CMD ["api"]

# The development image (docker-compose.yml's api and worker): this toolchain and cargo-watch,
# which rebuilds and restarts the service on save. The source is mounted at /app and target/ is
# a named volume (the Rust analog of the course's /app/node_modules volume), so a save rebuilds
# without rebuilding the image. BuildKit builds only the stages this one needs; the classic
# builder builds the ones above it too.
# cargo-watch only waits for saves and runs cargo: compiled unoptimised, the quickest build.
FROM chef AS dev
RUN export CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
 && cargo install cargo-watch --version 8.5.3 --locked
WORKDIR /app
