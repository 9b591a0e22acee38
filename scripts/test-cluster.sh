#!/usr/bin/env bash
# Runs the integration suite against a real 3-master Redis Cluster
# (scripts/redis-cluster.sh), and stops the cluster afterwards even when tests fail.
# Extra arguments go to vitest (e.g. a single test file).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/redis-cluster.sh start
trap 'scripts/redis-cluster.sh stop' EXIT

REDIS_URL=redis://127.0.0.1:7001 REDIS_CLUSTER=true npx vitest run "${@:-tests/integration}"
