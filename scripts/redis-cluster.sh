#!/usr/bin/env bash
# A throwaway 3-master Redis Cluster on 127.0.0.1 for the cluster test run.
#
#   scripts/redis-cluster.sh start    start it (no-op when it is already up and healthy)
#   scripts/redis-cluster.sh stop     stop the nodes this script started, delete their directory
#   scripts/redis-cluster.sh status   print the cluster state; exit 1 unless it is ok
#
# Nothing is persisted (--save '' --appendonly no): every start is an empty cluster.
# Only nodes recorded in this script's pid files are ever stopped, so the
# shared Redis on 6379 (or anything else on the machine) is never touched.
set -euo pipefail

PORTS=(${REDIS_CLUSTER_PORTS:-7001 7002 7003})
HOST=127.0.0.1
DIR="${REDIS_CLUSTER_DIR:-${TMPDIR:-/tmp}/roomservice-redis-cluster-$(id -u)}"
WAIT_SECONDS=15

cli() { redis-cli -h "$HOST" -p "$1" "${@:2}"; }

node_up() { [[ "$(cli "$1" PING 2>/dev/null)" == "PONG" ]]; }

cluster_ok() {
  local port
  for port in "${PORTS[@]}"; do
    cli "$port" CLUSTER INFO 2>/dev/null | grep -q '^cluster_state:ok' || return 1
  done
}

our_pid() { # pid of the node on $1 if this script started it and it still runs
  local file="$DIR/redis-$1.pid" pid
  [[ -f "$file" ]] || return 1
  pid="$(cat "$file")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

stop() {
  local port pid
  for port in "${PORTS[@]}"; do
    if pid="$(our_pid "$port")"; then
      cli "$port" SHUTDOWN NOSAVE >/dev/null 2>&1 || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
    fi
  done
  rm -rf "$DIR"
  echo "redis cluster stopped"
}

start() {
  if cluster_ok; then
    echo "redis cluster already up on ports ${PORTS[*]} ($DIR)"
    return 0
  fi
  local port
  for port in "${PORTS[@]}"; do
    if node_up "$port" && ! our_pid "$port" >/dev/null; then
      echo "port $port is taken by a Redis this script did not start; refusing to touch it" >&2
      exit 1
    fi
  done
  # Half-started or broken leftovers of an earlier run: start over from nothing.
  stop >/dev/null
  mkdir -p "$DIR"
  for port in "${PORTS[@]}"; do
    redis-server --port "$port" --bind "$HOST" \
      --cluster-enabled yes --cluster-config-file "$DIR/nodes-$port.conf" --cluster-node-timeout 5000 \
      --save '' --appendonly no --daemonize yes --dir "$DIR" \
      --pidfile "$DIR/redis-$port.pid" --logfile "$DIR/redis-$port.log"
  done
  for port in "${PORTS[@]}"; do
    for _ in $(seq 1 $((WAIT_SECONDS * 10))); do node_up "$port" && break; sleep 0.1; done
    node_up "$port" || { echo "node $port did not start; see $DIR/redis-$port.log" >&2; exit 1; }
  done
  local nodes=()
  for port in "${PORTS[@]}"; do nodes+=("$HOST:$port"); done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$DIR/create.log" 2>&1 ||
    { cat "$DIR/create.log" >&2; exit 1; }
  for _ in $(seq 1 $((WAIT_SECONDS * 10))); do cluster_ok && break; sleep 0.1; done
  cluster_ok || { echo "cluster did not reach cluster_state:ok" >&2; status >&2 || true; exit 1; }
  echo "redis cluster up on ports ${PORTS[*]} ($DIR)"
}

status() {
  local port state
  for port in "${PORTS[@]}"; do
    state="$(cli "$port" CLUSTER INFO 2>/dev/null | grep '^cluster_state:' | tr -d '\r' || true)"
    echo "$HOST:$port ${state:-down}"
  done
  cluster_ok
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
