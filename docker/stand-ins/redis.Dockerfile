# Stand-in for redis:7.4.6-alpine (scripts/base-images): Debian's redis-server (8.0) and
# redis-cli, run as the redis user in /data, as upstream does. The compose files pass every
# setting they rely on (protected mode off included) on the command line.
FROM fibstack-stand-in/debian:trixie
# The upstream Debian images' uid and gid, fixed before the package would pick some.
# hadolint ignore=DL3008
RUN groupadd --system --gid 999 redis \
 && useradd --system --uid 999 --gid redis --home-dir /var/lib/redis --shell /usr/sbin/nologin redis \
 && apt-get update \
 && apt-get install -y --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir /data && chown redis:redis /data
WORKDIR /data
USER 999:999
EXPOSE 6379
CMD ["redis-server", "--protected-mode", "no"]
