#!/bin/sh
# The nginx config is rendered by the program from stack config and handed over in the environment, so a
# config change replaces the gateway container without rebuilding its image.
set -eu
: "${DORMER_NGINX_CONF:?the gateway needs DORMER_NGINX_CONF}"
printf '%s' "$DORMER_NGINX_CONF" >/etc/dormer/nginx.conf
nginx -t -q -e stderr -c /etc/dormer/nginx.conf
exec nginx -e stderr -c /etc/dormer/nginx.conf -g 'daemon off;'
