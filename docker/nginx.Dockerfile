# syntax=docker/dockerfile:1.7
# The router: the same template scripts/stack renders natively, rendered here by the official
# image's templates/ step at start. Listens on 8080 (an unprivileged user cannot bind 80);
# publish it as 80 on a host, 3050 in development.
#   docker build -f docker/nginx.Dockerfile -t fibstack-nginx .

FROM nginxinc/nginx-unprivileged:1.28-alpine
COPY nginx/templates/default.conf.template /etc/nginx/templates/default.conf.template
# Sourced by the entrypoint before rendering: derives the zone's rate and burst.
COPY --chmod=0755 nginx/rate-limit.envsh /docker-entrypoint.d/15-fibstack-rate-limit.envsh
ENV API_UPSTREAM=api:5000 \
    CLIENT_UPSTREAM=client:3000 \
    LISTEN_PORT=8080 \
    RATE_LIMIT_RPS=20 \
    NGINX_ENVSUBST_FILTER="^(API_UPSTREAM|CLIENT_UPSTREAM|LISTEN_PORT|RATE_LIMIT_[A-Z_]+)$"
USER 101
EXPOSE 8080
# A shell form on purpose: `|| exit 1` turns any wget failure into "unhealthy".
# hadolint ignore=DL3025
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD wget -q -O /dev/null http://127.0.0.1:8080/router-health || exit 1
