#!/usr/bin/env bash
# Soak (issue 15, section 6; not in the default suite): KILLS SIGKILLs
# (default 1000) of a real inspectd under mixed gRPC load from 16 clients,
# then prints lost and duplicated acknowledged writes and the audit chain
# state. Uses the binaries of BUILD (default build-test, as scripts/test.sh
# builds it). Exit 0 when nothing was lost or duplicated and the chain holds.
#   bash scripts/soak.sh [KILLS] [BUILD]
set -euo pipefail
cd "$(dirname "$0")/.."
build="${2:-build-test}"
[ -x "$build/server/inspectd" ] || { echo "soak: build $build first (scripts/test.sh)" >&2; exit 2; }
export INSPECTD="$PWD/$build/server/inspectd" INSPECTCTL="$PWD/$build/client/inspectctl"
export PYTHONPATH="$PWD/$build/py" PYTHONDONTWRITEBYTECODE=1
exec /usr/bin/python3 tests/soak/soak.py "${1:-1000}"
