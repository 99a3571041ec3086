# Stand-in for prom/prometheus:v2.53.3 (scripts/base-images): Debian's prometheus (2.53), run as
# nobody with its data in /prometheus, as upstream does. The compose files mount the
# configuration and its rules into /etc/prometheus.
FROM fibstack-stand-in/debian:trixie
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends prometheus \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /prometheus && chown 65534:65534 /prometheus
USER 65534:65534
WORKDIR /prometheus
EXPOSE 9090
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
