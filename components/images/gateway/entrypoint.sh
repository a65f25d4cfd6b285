#!/bin/sh
# The nginx config is rendered by the program from stack config and delivered into the config volume by the
# gateway-config container (dormer-gateway-apply), which reloads the running nginx on every later change: a
# config change never replaces this container. A new gateway serves the last config in the volume at once;
# on a fresh volume it waits for the first one.
#
# DORMER_SUPERVISOR_HOST names the supervisor's replicas (space-separated). nginx resolves them once per
# (re)load and keeps connections to them alive. When a replica comes back with another address (restarted or
# replaced), nginx is reloaded within 2 s, once every name resolves (nginx loads no config with a name it
# cannot resolve; meanwhile the replicas it knows serve, and a gone one's requests go to the next).
set -eu
: "${DORMER_SUPERVISOR_HOST:?the gateway needs DORMER_SUPERVISOR_HOST}"
conf=/etc/dormer/conf/nginx.conf
until [ -s "$conf" ]; do sleep 0.2; done

# Every replica's address, one line; empty while any name does not resolve.
address() {
  all=""
  for host in $DORMER_SUPERVISOR_HOST; do
    one="$(getent hosts "$host" | cut -d' ' -f1 || true)"
    [ -n "$one" ] || return 0
    all="$all $one"
  done
  echo "${all# }"
}

# The supervisor is created first, but after a host restart it may come up later than the gateway.
until [ -n "$(address)" ]; do sleep 1; done
nginx -t -q -e stderr -c "$conf"
nginx -e stderr -c "$conf" -g 'daemon off;' &
nginx_pid=$!
trap 'kill -QUIT "$nginx_pid" 2>/dev/null; wait "$nginx_pid"; exit 0' TERM INT

last="$(address)"
while kill -0 "$nginx_pid" 2>/dev/null; do
  sleep 2 &
  wait $! || true
  now="$(address)"
  if [ -n "$now" ] && [ "$now" != "$last" ]; then
    echo "{\"msg\":\"supervisor moved from $last to $now; reloading\"}" >&2
    nginx -e stderr -c "$conf" -s reload
    last="$now"
  fi
done
wait "$nginx_pid"
