#!/usr/bin/env bash
# Sets everything up, builds the test configuration (-Wall -Wextra -Werror,
# AddressSanitizer + UndefinedBehaviorSanitizer) and runs the whole suite:
# unit, integration, interop and crash tests. Safe to run twice.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DINSPECT_WERROR=ON -DINSPECT_SANITIZE=ON \
    -DINSPECT_BENCH=OFF >/dev/null
cmake --build build-test -j"$(nproc)"
cd build-test
ctest --output-on-failure -j"$(nproc)" "$@"
