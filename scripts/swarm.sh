#!/usr/bin/env bash
# Makes this Docker engine (DOCKER_HOST's, else the local one) a single-node swarm manager for the swarm stacks.
#   swarm.sh init   a swarm on this engine, unless it is a manager already (then nothing changes)
# It never leaves a swarm: on Docker 20.10 `docker swarm leave` breaks name resolution for every container
# then running on a user-defined network (a running dormer stack's included) until they are recreated.
#
# Addresses (environment, defaults in brackets):
#   DORMER_SWARM_ADDR [127.0.0.1]  where the manager listens (2377) and what it advertises. Loopback keeps
#       the control plane off the network; a second node needs an address it can reach instead.
#   DORMER_SWARM_POOL [10.215.0.0/17]  where the swarm picks subnets it is not given (ingress first). Docker's
#       default, 10.0.0.0/8, holds every stack's pool (10.212-10.214.0.0/16) and the 10.0.x networks many
#       hosts route; this /16 is used by no stack.
#   DORMER_SWARM_GWBRIDGE [10.215.255.0/24]  the subnet of docker_gwbridge, the bridge that carries the
#       tasks' traffic off the host. Left to Docker it takes a /16 from the local pools (172.18.0.0/16 here),
#       one of the ~31 that networks without an explicit subnet share; outside DORMER_SWARM_POOL, so the swarm
#       never hands it to an overlay.
set -euo pipefail

addr="${DORMER_SWARM_ADDR:-127.0.0.1}"
pool="${DORMER_SWARM_POOL:-10.215.0.0/17}"
gwbridge="${DORMER_SWARM_GWBRIDGE:-10.215.255.0/24}"

say() { echo "swarm.sh: $*" >&2; }
state() { docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}'; }

init() {
  case "$(state)" in
    "active true")
      say "this engine is already a swarm manager; leaving it as it is"
      return 0 ;;
    "active false")
      say "this engine is a swarm worker; services are declared on a manager (run there, or docker swarm leave with no dormer stack running here: see the header)"
      return 1 ;;
    "inactive "*) ;;
    *)
      say "this engine's swarm is $(state | cut -d' ' -f1) (docker info shows why); not touching it"
      return 1 ;;
  esac
  local made_bridge=0
  if ! docker network inspect docker_gwbridge >/dev/null 2>&1; then
    # Docker's own options for this bridge: no traffic between tasks here, masqueraded on the way out.
    docker network create --subnet "$gwbridge" \
      --opt com.docker.network.bridge.name=docker_gwbridge \
      --opt com.docker.network.bridge.enable_icc=false \
      --opt com.docker.network.bridge.enable_ip_masquerade=true \
      docker_gwbridge >/dev/null
    made_bridge=1
  fi
  if ! docker swarm init --advertise-addr "$addr" --listen-addr "$addr:2377" \
      --default-addr-pool "$pool" --default-addr-pool-mask-length 24 >/dev/null; then
    [ "$made_bridge" = 0 ] || docker network rm docker_gwbridge >/dev/null
    return 1
  fi
  say "initialised a single-node swarm (node $(docker info --format '{{.Swarm.NodeID}}'), manager on $addr:2377, subnets from $pool)"
}

case "${1:-}" in
  init) [ "$#" = 1 ] || { say "usage: swarm.sh init"; exit 2; }; init ;;
  *) say "usage: swarm.sh init"; exit 2 ;;
esac
