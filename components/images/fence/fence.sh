#!/bin/sh
# The host firewall fence: no tenant reaches the host or another Docker network. Tenant bridges are named
# "<prefix>-<hash>" (components/fence.ts), so rules on "<prefix>+" cover every tenant of every stack.
# It re-checks every few seconds, so rules flushed by hand or by a firewall reload come back, and it runs
# as a restart-always container, so it is back after a Docker daemon restart or a reboot.
# On a swarm stack's node, tenants with egress leave their overlay through the swarm's gateway bridge
# (DORMER_FENCE_GATEWAY_BRIDGE, docker_gwbridge), which every task with egress on the node shares: traffic
# in from it is fenced the same way, and nothing goes from it to another task or another Docker network.
set -u
IF="${DORMER_FENCE_BRIDGES:-dt}+"
GW="${DORMER_FENCE_GATEWAY_BRIDGE:-}"
INTERVAL="${DORMER_FENCE_INTERVAL_SECONDS:-2}"
IN=DORMER-FENCE-IN
FWD=DORMER-FENCE-FWD
GW_IN=DORMER-FENCE-GW-IN
GW_FWD=DORMER-FENCE-GW-FWD

# Docker programs either the nft or the legacy backend; the fence uses the one whose DOCKER-USER exists.
backend() {
  for b in nft legacy; do
    if "iptables-$b" -w -n -L DOCKER-USER >/dev/null 2>&1; then echo "$b"; return; fi
  done
  echo nft
}

# Traffic to the host itself (any of its addresses, on any port): only answers to what the host opened.
input_rules() {
  echo "-A $IN -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN"
  echo "-A $IN -p tcp -j REJECT --reject-with tcp-reset"
  echo "-A $IN -j DROP"
}

# Forwarded traffic: within one tenant network (bridged) untouched; out of a tenant network to any other
# Docker network dropped (the internet stays open to egress tenants); into one from elsewhere, only replies.
forward_rules() {
  echo "-A $FWD -i $IF -m physdev --physdev-is-bridged -j RETURN"
  echo "-A $FWD -i $IF -o $IF -j DROP"
  echo "-A $FWD -i $IF -o docker0 -j DROP"
  echo "-A $FWD -i $IF -o br-+ -j DROP"
  echo "-A $FWD ! -i $IF -o $IF -m conntrack ! --ctstate RELATED,ESTABLISHED -j DROP"
}

# Out of the swarm's gateway bridge: to the outside only, never to another task on it (tasks of different
# tenants share it) nor to a Docker network of the host.
gateway_forward_rules() {
  echo "-A $GW_FWD -i $GW -o $GW -j DROP"
  echo "-A $GW_FWD -i $GW -o $IF -j DROP"
  echo "-A $GW_FWD -i $GW -o docker0 -j DROP"
  echo "-A $GW_FWD -i $GW -o br-+ -j DROP"
}

# Makes chain $2 hold exactly the rules on stdin, and makes $3 jump to it as its rule number $5 (default 1,
# first), with match $4.
ensure_chain() {
  ipt=$1 chain=$2 from=$3 match=$4 at=${5:-1}
  want=$(cat)
  $ipt -w -N "$chain" 2>/dev/null
  if [ "$($ipt -w -S "$chain" | grep -v "^-N ")" != "$want" ]; then
    $ipt -w -F "$chain"
    echo "$want" | while read -r rule; do eval "$ipt -w $rule"; done
    echo "fence: $ipt $chain rules set"
  fi
  jump="-A $from ${match:+$match }-j $chain"
  # shellcheck disable=SC2086
  if [ "$($ipt -w -S "$from" 2>/dev/null | sed -n "$((at + 1))p")" != "$jump" ]; then
    $ipt -w -D "$from" $match -j "$chain" 2>/dev/null
    $ipt -w -I "$from" "$at" $match -j "$chain" && echo "fence: $ipt $from -> $chain"
  fi
}

apply() {
  b=$(backend)
  v4="iptables-$b" v6="ip6tables-$b"
  input_rules | ensure_chain "$v4" "$IN" INPUT "-i $IF"
  # DOCKER-USER is Docker's place for rules it must not override; it exists once dockerd has started.
  if $v4 -w -n -L DOCKER-USER >/dev/null 2>&1; then
    forward_rules | ensure_chain "$v4" "$FWD" DOCKER-USER ""
  fi
  if [ -n "$GW" ]; then
    input_rules | sed "s/-A $IN /-A $GW_IN /" | ensure_chain "$v4" "$GW_IN" INPUT "-i $GW" 2
    if $v4 -w -n -L DOCKER-USER >/dev/null 2>&1; then
      gateway_forward_rules | ensure_chain "$v4" "$GW_FWD" DOCKER-USER "" 2
    fi
  fi
  if $v6 -w -n -L INPUT >/dev/null 2>&1; then
    input_rules | ensure_chain "$v6" "$IN" INPUT "-i $IF"
    { echo "-A $FWD -i $IF -m physdev --physdev-is-bridged -j RETURN"; echo "-A $FWD -i $IF -j DROP"; echo "-A $FWD -o $IF -m physdev ! --physdev-is-bridged -j DROP"; } |
      ensure_chain "$v6" "$FWD" FORWARD ""
  fi
}

trap 'exit 0' TERM INT
echo "fence: keeping tenant bridges ($IF)${GW:+ and the swarm's gateway bridge ($GW)} away from the host, every ${INTERVAL}s"
while :; do
  apply
  sleep "$INTERVAL" &
  wait $!
done
