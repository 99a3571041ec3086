# Stand-in for nginxinc/nginx-unprivileged:1.28-alpine (scripts/base-images): Debian's nginx
# (1.26), envsubst and wget, and the upstream image's user 101. The project's images bring their
# own configuration and start nginx through nginx/entrypoint.sh, so nothing else is needed.
FROM fibstack-stand-in/debian:trixie
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx gettext-base wget \
 && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/* \
 && groupadd --system --gid 101 nginx \
 && useradd --system --uid 101 --gid 101 --home-dir /nonexistent --shell /bin/false nginx
USER 101
EXPOSE 8080
CMD ["nginx", "-g", "daemon off;"]
