# The router: nginx/templates/default.conf.template rendered at start by nginx/render.sh, the
# same script scripts/stack runs natively; the base image gives only the nginx binary. Upstream
# names are looked up again through Docker's DNS, so a recreated or scaled api is found.
# Listens on 8080 (an unprivileged user cannot bind 80); publish it as 80 on a host, 3050 in
# development.
#   docker build -f docker/nginx.Dockerfile -t fibstack-nginx .

FROM nginxinc/nginx-unprivileged:1.28-alpine
COPY nginx/ /etc/fibstack/nginx/
ENV API_UPSTREAM=api:5000 \
    CLIENT_UPSTREAM=client:3000 \
    UPSTREAM_RESOLVER=127.0.0.11 \
    LISTEN_PORT=8080 \
    RATE_LIMIT_RPS=20
USER 101
EXPOSE 8080
ENTRYPOINT ["/etc/fibstack/nginx/entrypoint.sh", "router"]
# A shell form on purpose: `|| exit 1` turns any wget failure into "unhealthy".
# hadolint ignore=DL3025
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD wget -q -O /dev/null http://127.0.0.1:8080/router-health || exit 1
