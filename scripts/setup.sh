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
    libjson-c-dev libarchive-dev libmicrohttpd-dev prometheus
    python3 python3-grpcio python3-protobuf
    nghttp2-client openssl procps
    nginx systemd dpkg-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
echo "setup: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
