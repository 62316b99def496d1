#!/usr/bin/env bash
# Sets everything up and runs inspectd on the embedded default: LMDB in
# ./data, listening on 127.0.0.1:50051. Safe to run twice.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DINSPECT_TESTS=OFF -DINSPECT_BENCH=OFF >/dev/null
cmake --build build-release -j"$(nproc)" --target inspectd inspectctl >/dev/null

DATA_DIR=${DATA_DIR:-data}
LISTEN=${LISTEN:-127.0.0.1:50051}
exec build-release/server/inspectd --listen "$LISTEN" --data-dir "$DATA_DIR" "$@"
