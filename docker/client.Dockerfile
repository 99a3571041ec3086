# The web client: its wasm bundle (scripts/build-client), served by nginx on :3000 as in the
# course, with the single-page fallback and caching rules of client/nginx/default.conf, rendered
# at start by nginx/render.sh as natively. Dependencies compile for wasm in a layer of their own.
#   docker build -f docker/client.Dockerfile --target client -t fibstack-client .

# The wasm is the same bytes for every platform, so every stage but the last runs on the build
# machine's own: a multi-platform build (CI's amd64 and arm64) compiles it once, natively, not
# once per platform under emulation. BuildKit sets BUILDPLATFORM; the classic builder does not,
# and "linux" alone is the engine's own platform.
FROM --platform=${BUILDPLATFORM:-linux} rust:1.95.0-slim-trixie AS chef
# Tools are compiled for a quick build rather than top speed: each runs a few times per build.
# The api's image starts with the same two layers, so one build of them serves both.
RUN export CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
 && cargo install cargo-chef --version 0.1.78 --locked
# rust-toolchain.toml's extra components and targets are for development: rustup must not fetch
# them by itself here (the wasm target is added below).
ENV RUSTUP_AUTO_INSTALL=0
# wasm-opt is Debian's binaryen (120; the bundle needs 116 or newer), not a half-hour C++ build.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends binaryen \
 && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-unknown-unknown
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
# Into target/client-wasm, where scripts/build-client compiles the client; then the bundler's
# own dependencies (wasm-bindgen's glue generator among them), for the build machine.
RUN CARGO_TARGET_DIR=target/client-wasm cargo chef cook --locked --target wasm32-unknown-unknown \
      --profile wasm-release -p fibstack-client --recipe-path recipe.json \
 && cargo chef cook --locked -p fibstack-bundle --recipe-path recipe.json
COPY Cargo.toml Cargo.lock rust-toolchain.toml ./
COPY crates crates
COPY client client
COPY scripts scripts
# The page's size budget holds for the bundle shipped, or the image is not built.
RUN scripts/build-client /out \
 && scripts/check-bundle /out

FROM nginxinc/nginx-unprivileged:1.28-alpine AS client
COPY nginx/ /etc/fibstack/nginx/
COPY client/nginx/default.conf /etc/fibstack/client/nginx/default.conf
COPY --from=builder /out /usr/share/nginx/html
ENV LISTEN_PORT=3000
USER 101
EXPOSE 3000
ENTRYPOINT ["/etc/fibstack/nginx/entrypoint.sh", "client"]
# A shell form on purpose: `|| exit 1` turns any wget failure into "unhealthy".
# hadolint ignore=DL3025
HEALTHCHECK --interval=15s --timeout=3s --retries=3 \
  CMD wget -q -O /dev/null http://127.0.0.1:3000/ || exit 1

# The development image (docker-compose.yml's client): this toolchain and its tools, and trunk,
# which rebuilds on save and tells the open page to reload. The source is mounted at /app and
# target/ is a named volume, so a save rebuilds without rebuilding the image. BuildKit builds
# only the stages this one needs; the classic builder builds the ones above it too.
# trunk runs the wasm-bindgen CLI, at exactly the version of the crate in Cargo.lock.
# trunk, the largest of the tools, is compiled unoptimised and without its TLS stacks: it only
# watches, runs cargo and wasm-bindgen, and serves plain HTTP to the router here, and it finds
# wasm-bindgen on PATH instead of downloading it.
FROM chef AS dev
RUN export CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
 && cargo install wasm-bindgen-cli --version 0.2.130
RUN export CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
 && cargo install trunk --version 0.21.14 --locked --no-default-features
WORKDIR /app/client
