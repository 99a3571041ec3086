# syntax=docker/dockerfile:1.7
# The api and worker images: one build, two targets.
#   docker build -f docker/fibstack.Dockerfile --target api -t fibstack-api .
#   docker build -f docker/fibstack.Dockerfile --target worker -t fibstack-worker .
# Dependencies compile in a layer of their own (cargo-chef), so a source change rebuilds only
# fibstack. The runtime is distroless: the binary, glibc, nothing else.

FROM rust:1.95.0-slim-bookworm AS chef
RUN cargo install cargo-chef --version 0.1.78 --locked
# These images run the api and the worker, never the all-in-one app: no client to embed.
ENV FIBSTACK_EMBED_CLIENT=0
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --locked -p fibstack --recipe-path recipe.json
COPY . .
RUN cargo build --release --locked -p fibstack \
 && install -D target/release/fibstack /out/fibstack

FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
COPY --from=builder /out/fibstack /usr/local/bin/fibstack
USER 65532:65532
ENV LOG_FORMAT=json
ENTRYPOINT ["/usr/local/bin/fibstack"]

FROM runtime AS worker
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
