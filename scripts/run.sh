#!/usr/bin/env bash
# Sets everything up and runs inspectd on the embedded default: LMDB in
# ./data, gRPC on 127.0.0.1:50051, the web console (gRPC-Web) on
# http://127.0.0.1:8080/, the demo district from seeds/ loaded through the
# API into an empty store. Safe to run twice: a store
# that was seeded before is served as it is. Stop with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DINSPECT_TESTS=OFF -DINSPECT_BENCH=OFF >/dev/null
cmake --build build-release -j"$(nproc)" --target inspectd inspectctl console >/dev/null

DATA_DIR=${DATA_DIR:-data}
LISTEN=${LISTEN:-127.0.0.1:50051}
WEB_LISTEN=${WEB_LISTEN:-127.0.0.1:8080}
CTL=build-release/client/inspectctl

build-release/server/inspectd --listen "$LISTEN" --data-dir "$DATA_DIR" \
    --web-listen "$WEB_LISTEN" --web-root build-release/web/dist "$@" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null; wait "$pid"; exit $?' INT TERM

for _ in $(seq 1 100); do
    if "$CTL" health --server "$LISTEN" >/dev/null 2>&1; then
        break
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
        wait "$pid"
        exit $?
    fi
    sleep 0.1
done

if [ ! -e "$DATA_DIR/.seeded" ]; then
    "$CTL" seed load seeds --data-dir "$DATA_DIR" --server "$LISTEN"
    touch "$DATA_DIR/.seeded"
fi

cat >&2 <<MSG

inspectd is serving the demo district on $LISTEN (pid $pid, data in $DATA_DIR).
The web console: http://$WEB_LISTEN/  (sign in with a token:
  $CTL token issue --data-dir $DATA_DIR --role dispatcher --principal demo --ttl 12h
  or --role department --principal fire-desk --department fire for a department's desk)
Try, in another terminal:
  export INSPECT_TOKEN=\$($CTL token issue --data-dir $DATA_DIR --role dispatcher --principal demo --ttl 12h)
  $CTL applications list --server $LISTEN
Stop with Ctrl-C.
MSG
wait "$pid"
