#!/usr/bin/env bash
# certs.sh OUTDIR - test PKI for the mutual-TLS tests.
#
# Creates in OUTDIR, with EC P-256 keys (fast to make) unless said otherwise:
#   ca.pem / ca.key          test CA, trusted by the server
#   server.pem / server.key  CN=localhost, SAN DNS:localhost, IP:127.0.0.1
#   client.pem / client.key  /O=fire/OU=inspector/CN=insp-001, signed by the CA
#   admin.pem / admin.key    /OU=admin/CN=root, signed by the CA (puts insp-001
#                            into the directory, which the server checks)
#   rogue-ca.pem / rogue-ca.key  a second CA nobody trusts
#   rogue.pem / rogue.key    a client certificate signed by the rogue CA
# and client certificates signed by the CA (/O=fire/OU=inspector) that try
# the server's certificate policy, each as NAME.pem / NAME.key:
#   rsa1024, dsa, p521       keys the policy refuses (RSA 1024, DSA 2048, EC
#                            P-521; CN=weak-rsa, weak-dsa, weak-p521)
#   rsa2048, p384, ed25519   keys it accepts (CN=insp-001)
#   expired                  valid 2020-01-01 to 2021-01-01 (CN=insp-001)
#   future                   valid from 2045-01-01 (CN=insp-001)
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

# key NAME [GENPKEY-ARGS...]: a private key in NAME.key, unless it exists;
# EC P-256 unless GENPKEY-ARGS say otherwise.
key() {
    [[ -s $1.key ]] && return 0
    local name=$1
    shift
    if [[ $# -eq 0 ]]; then
        set -- -algorithm EC -pkeyopt ec_paramgen_curve:P-256
    fi
    openssl genpkey "$@" -out "$name.key.tmp.$$" 2>/dev/null
    mv -f "$name.key.tmp.$$" "$name.key"
}

# dsakey NAME: a DSA 2048 private key (genpkey needs parameters first).
dsakey() {
    [[ -s $1.key ]] && return 0
    openssl genpkey -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:2048 \
        -out "$1.param.tmp.$$" 2>/dev/null
    key "$1" -paramfile "$1.param.tmp.$$"
    rm -f "$1.param.tmp.$$"
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

# leaf NAME SUBJECT CA EXTFILE-TEXT [GENPKEY-ARGS...]: a certificate signed
# by CA, for the key key() makes with GENPKEY-ARGS (or one made before).
leaf() {
    [[ -s $1.pem ]] && return 0
    key "$1" "${@:5}"
    local ext=$1.ext.tmp.$$ csr=$1.csr.tmp.$$
    printf '%s\n' "$4" >"$ext"
    openssl req -new -key "$1.key" -subj "$2" -out "$csr"
    openssl x509 -req -in "$csr" -CA "$3.pem" -CAkey "$3.key" -CAcreateserial \
        -days "$days" -sha256 -extfile "$ext" -out "$1.pem.tmp.$$" 2>/dev/null
    mv -f "$1.pem.tmp.$$" "$1.pem"
    rm -f "$ext" "$csr"
}

# dated NAME SUBJECT CA START END: a client certificate signed by CA, valid
# from START to END (YYMMDDHHMMSSZ). 'openssl x509 -req' of OpenSSL 3.0 only
# counts days from now (no -not_before/-not_after before 3.4), so this goes
# through 'openssl ca', which takes both dates, with a throwaway database.
dated() {
    [[ -s $1.pem ]] && return 0
    key "$1"
    local db=$PWD/$1.db.tmp.$$ csr=$1.csr.tmp.$$
    mkdir -p "$db"
    : >"$db/index.txt"
    openssl rand -hex 16 >"$db/serial"
    cat >"$db/ca.cnf" <<EOF
[ca]
default_ca = test
[test]
database = $db/index.txt
new_certs_dir = $db
serial = $db/serial
default_md = sha256
policy = any
x509_extensions = ext
unique_subject = no
[any]
commonName = supplied
[ext]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
EOF
    openssl req -new -key "$1.key" -subj "$2" -out "$csr"
    openssl ca -batch -notext -preserveDN -config "$db/ca.cnf" -cert "$3.pem" \
        -keyfile "$3.key" -startdate "$4" -enddate "$5" -in "$csr" \
        -out "$1.pem.tmp.$$" 2>/dev/null
    mv -f "$1.pem.tmp.$$" "$1.pem"
    rm -rf "$db" "$csr"
}

client_ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"

ca ca "/O=inspectd test/CN=inspectd test CA"
leaf server "/CN=localhost" ca "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1"
leaf client "/O=fire/OU=inspector/CN=insp-001" ca "$client_ext"
leaf admin "/OU=admin/CN=root" ca "$client_ext"

ca rogue-ca "/O=rogue/CN=rogue CA"
leaf rogue "/O=fire/OU=admin/CN=mallory" rogue-ca "$client_ext"

leaf rsa1024 "/O=fire/OU=inspector/CN=weak-rsa" ca "$client_ext" \
    -algorithm RSA -pkeyopt rsa_keygen_bits:1024
dsakey dsa
leaf dsa "/O=fire/OU=inspector/CN=weak-dsa" ca "$client_ext"
leaf p521 "/O=fire/OU=inspector/CN=weak-p521" ca "$client_ext" \
    -algorithm EC -pkeyopt ec_paramgen_curve:P-521
leaf rsa2048 "/O=fire/OU=inspector/CN=insp-001" ca "$client_ext" \
    -algorithm RSA -pkeyopt rsa_keygen_bits:2048
leaf p384 "/O=fire/OU=inspector/CN=insp-001" ca "$client_ext" \
    -algorithm EC -pkeyopt ec_paramgen_curve:P-384
leaf ed25519 "/O=fire/OU=inspector/CN=insp-001" ca "$client_ext" -algorithm ED25519
dated expired "/O=fire/OU=inspector/CN=insp-001" ca 200101000000Z 210101000000Z
dated future "/O=fire/OU=inspector/CN=insp-001" ca 450101000000Z 460101000000Z

# Certificates are public; keys stay 0600.
chmod 0644 ./*.pem
