#!/bin/sh
# The start of the router and client images: renders the configuration with nginx/render.sh into
# a writable directory and runs nginx in the foreground, errors to stderr. Only the nginx binary
# and its mime.types come from the base image.
#
#   entrypoint.sh router    the router (variables: see render.sh)
#   entrypoint.sh client    the client's files in CLIENT_ROOT (/usr/share/nginx/html)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
run=${NGINX_RUN_DIR:-/tmp/nginx}
export ERROR_LOG=stderr
case ${1:-} in
  router) "$here/render.sh" router "$run" ;;
  client) "$here/render.sh" client "$run" "${CLIENT_ROOT:-/usr/share/nginx/html}" ;;
  *) echo "usage: entrypoint.sh router|client" >&2; exit 2 ;;
esac
exec nginx -e stderr -p "$run" -c "$run/nginx.conf" -g 'daemon off;'
