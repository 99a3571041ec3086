#!/bin/sh
# Renders nginx configurations for running without containers (scripts/stack, the tests).
#
#   nginx/render.sh router DIR        the router template -> DIR/nginx.conf (+ DIR/site.conf)
#   nginx/render.sh client DIR ROOT   client/nginx/default.conf serving ROOT -> DIR/nginx.conf
#   nginx/render.sh wrap DIR          only DIR/nginx.conf, around a DIR/site.conf rendered elsewhere
#
# Router variables (environment): API_UPSTREAM, CLIENT_UPSTREAM, LISTEN_PORT, RATE_LIMIT_RPS.
# Client variable: LISTEN_PORT. Start with: nginx -p DIR -c DIR/nginx.conf -g 'daemon off;'
# The router template is the same file the container image renders with its templates/ step.
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
    export API_UPSTREAM CLIENT_UPSTREAM LISTEN_PORT
    # shellcheck disable=SC2016 # the list names the variables to replace: it must not expand
    envsubst '${API_UPSTREAM} ${CLIENT_UPSTREAM} ${LISTEN_PORT} ${RATE_LIMIT_RPS} ${RATE_LIMIT_BURST} ${RATE_LIMIT_ZONE_RPS}' \
      < "$here/templates/default.conf.template" > "$dir/site.conf"
    ;;
  client)
    root=${3:?$usage}
    root=$(cd "$root" && pwd)
    : "${LISTEN_PORT:=3000}"
    sed -e "s|listen 3000;|listen 127.0.0.1:$LISTEN_PORT;|" -e "s|root /usr/share/nginx/html;|root $root;|" \
      < "$here/../client/nginx/default.conf" > "$dir/site.conf"
    ;;
  wrap) [ -f "$dir/site.conf" ] || { echo "render.sh: no $dir/site.conf to wrap" >&2; exit 2; } ;;
  *) echo "render.sh: $usage" >&2; exit 2 ;;
esac

# A master started by root runs its workers as nobody, who may not reach a checkout under /root
# or a private temp dir: then the workers keep the invoking user, as a non-root master's do.
user_line=""
[ "$(id -u)" = 0 ] && user_line="user root;"

# What the official image's main nginx.conf provides, with every path inside DIR.
cat > "$dir/nginx.conf" <<CONF
$user_line
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
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
    include $dir/site.conf;
}
CONF
mkdir -p "$dir/tmp"
