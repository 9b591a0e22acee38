#!/usr/bin/env bash
# Runs the integration suite against a real 3-master Redis Cluster
# (scripts/redis-cluster.sh), and stops the cluster afterwards even when tests fail.
# Extra arguments go to vitest (e.g. a single test file).
set -euo pipefail
cd "$(dirname "$0")/.."

# One run at a time on this machine: a second run would share the cluster and
# the first one to finish would stop it under the other.
exec 9>"${TMPDIR:-/tmp}/roomservice-test-cluster-$(id -u).lock"
flock 9

# The lock stays with this shell: the daemonized nodes must not inherit it.
scripts/redis-cluster.sh start 9>&-
trap 'scripts/redis-cluster.sh stop 9>&-' EXIT
trap 'exit 130' INT TERM

# The embedded project does not use Redis; only the redis project runs against the cluster.
REDIS_URL=redis://127.0.0.1:7001 REDIS_CLUSTER=true npx vitest run --project redis "${@:-tests/integration}" 9>&-
