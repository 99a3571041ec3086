#!/bin/sh
# Renders the nginx configurations of the router and of the client's static server, for
# scripts/stack and the tests natively, and for the router and client images at their start
# (nginx/entrypoint.sh): one set of files everywhere.
#
#   nginx/render.sh router DIR        the router template -> DIR/nginx.conf (+ site.conf, upstreams.conf)
#   nginx/render.sh client DIR ROOT   client/nginx/default.conf serving ROOT -> DIR/nginx.conf
#   nginx/render.sh wrap DIR          only DIR/nginx.conf, around a DIR/site.conf rendered elsewhere
#
# Router variables (environment): API_UPSTREAM, CLIENT_UPSTREAM, LISTEN_PORT ([address:]port),
# RATE_LIMIT_RPS, and UPSTREAM_RESOLVER: a DNS server to look the upstreams' names up again every
# few seconds (Docker's is 127.0.0.11), so a recreated or scaled service is found; unset, the
# addresses are resolved once and connections to them kept alive. TRUSTED_PROXY_CIDR: the
# addresses of proxies in front (a Kubernetes Gateway) whose X-Forwarded-For names the client.
# Client variable: LISTEN_PORT. ERROR_LOG: where errors go (DIR/error.log; `stderr` in images).
# Start with: nginx -p DIR -c DIR/nginx.conf -g 'daemon off;'
set -eu
here=$(cd "$(dirname "$0")" && pwd)
usage="usage: render.sh router DIR | render.sh client DIR ROOT | render.sh wrap DIR"
mode=${1:?$usage}
dir=${2:?$usage}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

case $mode in
  router)
    : "${API_UPSTREAM:=api:5000}"
    : "${CLIENT_UPSTREAM:=client:3000}"
    : "${LISTEN_PORT:=80}"
    # shellcheck source=nginx/rate-limit.envsh
    . "$here/rate-limit.envsh"
    export LISTEN_PORT
    # shellcheck disable=SC2016 # the list names the variables to replace: it must not expand
    envsubst '${LISTEN_PORT} ${RATE_LIMIT_RPS} ${RATE_LIMIT_BURST} ${RATE_LIMIT_ZONE_RPS}' \
      < "$here/templates/default.conf.template" > "$dir/site.conf"
    if [ -n "${UPSTREAM_RESOLVER:-}" ]; then
      cat > "$dir/upstreams.conf" <<CONF
# Looked up again every 2 s: containers come back, or scale, at new addresses.
resolver $UPSTREAM_RESOLVER valid=2s ipv6=off;
map \$host \$fib_api { default $API_UPSTREAM; }
map \$host \$fib_client { default $CLIENT_UPSTREAM; }
CONF
    else
      cat > "$dir/upstreams.conf" <<CONF
# Fixed addresses: reused connections, no TCP handshake per proxied request.
upstream api { server $API_UPSTREAM; keepalive 64; }
upstream client { server $CLIENT_UPSTREAM; keepalive 16; }
map \$host \$fib_api { default api; }
map \$host \$fib_client { default client; }
CONF
    fi
    if [ -n "${TRUSTED_PROXY_CIDR:-}" ]; then
      cat >> "$dir/upstreams.conf" <<CONF
# Behind proxies from $TRUSTED_PROXY_CIDR (a Kubernetes Gateway): the client's own address, as
# they pass it on, is the one the rate limit counts. From anywhere else the header is ignored.
set_real_ip_from $TRUSTED_PROXY_CIDR;
real_ip_header X-Forwarded-For;
real_ip_recursive on;
CONF
    fi
    ;;
  client)
    root=${3:?$usage}
    root=$(cd "$root" && pwd)
    : "${LISTEN_PORT:=3000}"
    sed -e "s|listen 3000;|listen $LISTEN_PORT;|" -e "s|root /usr/share/nginx/html;|root $root;|" \
      < "$here/../client/nginx/default.conf" > "$dir/site.conf"
    : > "$dir/upstreams.conf"
    ;;
  wrap)
    [ -f "$dir/site.conf" ] || { echo "render.sh: no $dir/site.conf to wrap" >&2; exit 2; }
    [ -f "$dir/upstreams.conf" ] || : > "$dir/upstreams.conf"
    ;;
  *) echo "render.sh: $usage" >&2; exit 2 ;;
esac

# A master started by root runs its workers as nobody, who may not reach a checkout under /root
# or a private temp dir: then the workers keep the invoking user, as a non-root master's do.
user_line=""
[ "$(id -u)" = 0 ] && user_line="user root;"

# The main nginx.conf, with every path inside DIR: nothing of an image's own configuration is used.
cat > "$dir/nginx.conf" <<CONF
$user_line
worker_processes 1;
pid $dir/nginx.pid;
error_log ${ERROR_LOG:-$dir/error.log} warn;
events { worker_connections 4096; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    keepalive_timeout 65;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    include $dir/upstreams.conf;
    include $dir/site.conf;
}
CONF
mkdir -p "$dir/tmp"
