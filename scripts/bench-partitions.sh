#!/usr/bin/env bash
# bench/partitions.ts on the throwaway 3-master cluster (scripts/redis-cluster.sh),
# with ROOM_PARTITIONS=48; shares the cluster test's lock, stops the cluster after.
set -euo pipefail
cd "$(dirname "$0")/.."
exec 9>"${TMPDIR:-/tmp}/roomservice-test-cluster-$(id -u).lock"
flock 9
scripts/redis-cluster.sh start 9>&-
trap 'scripts/redis-cluster.sh stop 9>&-' EXIT
REDIS_URL=redis://127.0.0.1:7001 REDIS_CLUSTER=true ROOM_PARTITIONS=${ROOM_PARTITIONS:-48} npx tsx bench/partitions.ts 9>&-
