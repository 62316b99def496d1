#!/usr/bin/env bash
# Installs the Debian 12 packages inspectd needs to build, run and test.
# Safe to run twice: packages already present are not fetched again, and
# `apt-get update` runs only when something is missing.
set -euo pipefail

PACKAGES=(
    build-essential cmake pkg-config clang-format
    clang libclang-rt-14-dev
    libgrpc-dev libprotobuf-c-dev protobuf-c-compiler protobuf-compiler libprotobuf-dev
    liblmdb-dev lmdb-utils libssl-dev check
    libjson-c-dev libarchive-dev prometheus
    python3 python3-grpcio python3-protobuf
    nghttp2-client openssl procps
    libmicrohttpd-dev libgnutls28-dev nodejs chromium fonts-wqy-microhei
    nginx systemd dpkg-dev
    libcurl4-openssl-dev libexpat1-dev
    ceph-mon ceph-osd radosgw ceph-common python3-boto3
)

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

# The web console's toolchain and test driver (web/package-lock.json), again
# only when node_modules is older than the lock file.
web_deps() {
    local web
    web="$(dirname "$0")/../web"
    if [ ! -e "$web/node_modules/.package-lock.json" ] ||
        [ "$web/package-lock.json" -nt "$web/node_modules/.package-lock.json" ]; then
        echo "setup: npm ci in web/" >&2
        (cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
    fi
}

if [ ${#missing[@]} -eq 0 ]; then
    web_deps
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
echo "setup: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
web_deps
