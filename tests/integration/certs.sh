#!/usr/bin/env bash
# certs.sh OUTDIR - test PKI for the mutual-TLS tests.
#
# Creates in OUTDIR, with EC P-256 keys (fast to make):
#   ca.pem / ca.key          test CA, trusted by the server
#   server.pem / server.key  CN=localhost, SAN DNS:localhost, IP:127.0.0.1
#   client.pem / client.key  /O=fire/OU=inspector/CN=insp-001, signed by the CA
#   admin.pem / admin.key    /OU=admin/CN=root, signed by the CA (puts insp-001
#                            into the directory, which the server checks)
#   rogue-ca.pem / rogue-ca.key  a second CA nobody trusts
#   rogue.pem / rogue.key    a client certificate signed by the rogue CA
# Idempotent: files that already exist are kept, so repeated runs see the
# same certificates; concurrent runs on one OUTDIR are serialised with flock.
# Delete OUTDIR to start over. Needs the openssl command-line tool and flock.
set -euo pipefail

if [[ $# -ne 1 || $1 == -h || $1 == --help ]]; then
    echo "usage: $0 OUTDIR" >&2
    [[ $# -eq 1 ]] && exit 0
    exit 2
fi
out=$1
mkdir -p "$out"
cd "$out"
umask 077
exec 9>.lock
flock 9

days=3650

# key NAME: an EC P-256 private key in NAME.key, unless it exists.
key() {
    [[ -s $1.key ]] && return 0
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key.tmp.$$"
    mv -f "$1.key.tmp.$$" "$1.key"
}

# ca NAME SUBJECT: a self-signed CA certificate.
ca() {
    [[ -s $1.pem ]] && return 0
    key "$1"
    openssl req -new -x509 -key "$1.key" -subj "$2" -days "$days" -sha256 \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -out "$1.pem.tmp.$$"
    mv -f "$1.pem.tmp.$$" "$1.pem"
}

# leaf NAME SUBJECT CA EXTFILE-TEXT: a certificate signed by CA.
leaf() {
    [[ -s $1.pem ]] && return 0
    key "$1"
    local ext=$1.ext.tmp.$$ csr=$1.csr.tmp.$$
    printf '%s\n' "$4" >"$ext"
    openssl req -new -key "$1.key" -subj "$2" -out "$csr"
    openssl x509 -req -in "$csr" -CA "$3.pem" -CAkey "$3.key" -CAcreateserial \
        -days "$days" -sha256 -extfile "$ext" -out "$1.pem.tmp.$$" 2>/dev/null
    mv -f "$1.pem.tmp.$$" "$1.pem"
    rm -f "$ext" "$csr"
}

ca ca "/O=inspectd test/CN=inspectd test CA"
leaf server "/CN=localhost" ca "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1"
leaf client "/O=fire/OU=inspector/CN=insp-001" ca "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
leaf admin "/OU=admin/CN=root" ca "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"

ca rogue-ca "/O=rogue/CN=rogue CA"
leaf rogue "/O=fire/OU=admin/CN=mallory" rogue-ca "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"

# Certificates are public; keys stay 0600.
chmod 0644 ./*.pem
