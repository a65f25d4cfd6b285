#!/bin/sh
# Runs once per configuration, as the gateway-config container: it shares the running gateway's PID namespace
# and its config volume. It checks the new nginx.conf with `nginx -t`, puts it in place and has the running
# nginx master reload it (SIGHUP): new workers take the new config, old ones finish their connections. Nothing
# is restarted, so no connection is refused. A config nginx rejects is never put in place: this exits 1 with
# nginx's own message and the gateway keeps serving the previous one.
set -eu
incoming=/etc/dormer/incoming/nginx.conf
live=/etc/dormer/conf/nginx.conf
staged=/etc/dormer/conf/nginx.conf.next

# The master's PID as this shared namespace numbers it: the process whose title nginx set to "master process".
master() {
  for d in /proc/[0-9]*; do
    case "$(tr '\0' ' ' 2>/dev/null <"$d/cmdline" || true)" in "nginx: master process"*) echo "${d#/proc/}"; return ;; esac
  done
}

# The master's worker processes: their PIDs, one line.
workers() {
  for d in /proc/[0-9]*; do
    [ "$(cut -d' ' -f4 "$d/stat" 2>/dev/null || true)" = "$1" ] && printf '%s ' "${d#/proc/}"
  done
  echo
}

# Whether any PID in $2 is missing from $1.
has_new() {
  for w in $2; do
    case " $1 " in *" $w "*) ;; *) return 0 ;; esac
  done
  return 1
}

# `nginx -t` resolves each supervisor replica's name (DORMER_SUPERVISOR_HOST, space-separated); give one created
# in the same update up to 20 s to appear (a name Docker does not know is asked of outside resolvers, which an
# internal network never reaches: bound it).
for host in ${DORMER_SUPERVISOR_HOST:?the gateway-config run needs DORMER_SUPERVISOR_HOST}; do
  for _ in $(seq 1 20); do
    timeout 1 getent hosts "$host" >/dev/null && break
    sleep 0.5
  done
done

cp "$incoming" "$staged"
if ! report="$(nginx -t -e stderr -c "$staged" 2>&1)"; then
  rm -f "$staged"
  printf 'nginx rejected the new gateway configuration; the gateway keeps serving the previous one:\n%s\n' \
    "$(printf '%s\n' "$report" | sed "s#$staged#nginx.conf#g")" >&2
  exit 1
fi

pid="$(master)"
if [ -z "$pid" ]; then
  # A gateway just created waits for its first config and starts nginx on it itself.
  mv "$staged" "$live"
  for _ in $(seq 1 300); do
    pid="$(master)"
    if [ -n "$pid" ] && [ -n "$(workers "$pid" | tr -d ' ')" ]; then echo "gateway started with the new configuration"; exit 0; fi
    sleep 0.1
  done
  echo "the gateway did not start nginx on its configuration within 30 s; see its log" >&2
  exit 1
fi

before="$(workers "$pid")"
[ -f "$live" ] && cp "$live" "$live.previous"
mv "$staged" "$live"
kill -HUP "$pid"
# A reload that worked starts new workers; one the master refused leaves the old ones alone.
for _ in $(seq 1 100); do
  if has_new "$before" "$(workers "$pid")"; then
    echo "gateway reloaded the new configuration (nginx master $pid)"
    exit 0
  fi
  sleep 0.1
done
[ -f "$live.previous" ] && mv "$live.previous" "$live"
echo "nginx did not reload the new configuration within 10 s (see the gateway's log); the previous one is back in place" >&2
exit 1
