#!/bin/sh
# The password is a stack secret handed over in the environment, so the image carries none.
set -eu
: "${REDIS_PASSWORD:?redis needs REDIS_PASSWORD}"
exec redis-server --requirepass "$REDIS_PASSWORD" \
  --bind 0.0.0.0 --protected-mode no --dir /data --appendonly yes --appendfsync everysec
