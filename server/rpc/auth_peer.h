/*
 * auth_peer.h - the principal of a call from its mutual-TLS client
 * certificate.
 *
 * The certificate subject names the principal (CN), the role (OU, one of the
 * names ins_role_name() prints), the department (O, optional) and the
 * districts the principal holds (L, one district code per attribute, or one
 * L of "*"; none: the default district only, see ins_district.h). gRPC core
 * hands the verified subject over in the call's auth context as an RFC 2253
 * string ("CN=insp-001,OU=inspector,O=fire"), which is parsed here.
 *
 * Trust: the auth context says which certificate the peer presented, not
 * whether it was verified. The server credentials must be created with
 * GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY (tokens or certificates) or
 * GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY (certificates
 * only) and the client CA as root: never a *_BUT_DONT_VERIFY option, or any
 * self-made certificate would be believed. The handshake then verifies the
 * chain and the dates; ins_auth_cert_check() adds the key policy and checks
 * the dates again on every call, against the server clock.
 */
#ifndef INS_AUTH_PEER_H
#define INS_AUTH_PEER_H

#include <stddef.h>
#include <stdint.h>

#include <grpc/grpc.h>

#include "ins_principal.h"

/*
 * Fills `out` from the client certificate of `call` (method INS_AUTH_MTLS,
 * expires_unix 0). Returns 0 (`why` set to ""); INS_ENOTFOUND when the call
 * carries no client certificate (plaintext, or TLS without one), so the
 * caller may look for a bearer token instead; INS_EAUTH with the reason in
 * `why` (`whylen` bytes, truncated) when a certificate is present but fails
 * ins_auth_cert_check() at `now` (Unix seconds, the server clock) or its
 * subject lacks a usable CN or an OU naming a known role. On error `*out` is
 * left untouched. With `out` NULL only the certificate is checked (a call
 * that names its principal by a bearer token on an mTLS connection still
 * presents a certificate that must hold). Call from the call's worker
 * thread while the call is alive.
 */
int ins_auth_peer_principal(grpc_call *call, int64_t now, ins_principal *out, char *why,
                            size_t whylen);

/*
 * The certificate policy, without gRPC: checks the leaf certificate `pem`
 * (PEM text; a chain's first certificate) for
 *   - its key: RSA or RSA-PSS of at least 2048 bits, EC on P-256 or P-384,
 *     or Ed25519 (DSA, other curves and other types are refused);
 *   - its dates: notBefore <= `now` < notAfter (`now` in Unix seconds).
 * The chain is not checked here: the TLS handshake verified it against the
 * client CA (see above). Returns 0, or INS_EAUTH with a sentence naming what
 * is wrong in `why` (`whylen` bytes, truncated), e.g. "client certificate key
 * is RSA 1024 bits; at least 2048 needed". Thread-safe.
 */
int ins_auth_cert_check(const char *pem, int64_t now, char *why, size_t whylen);

/*
 * ins_auth_peer_principal() for a certificate another part of this process
 * verified (the web listener's TLS handshake): `pem` is the leaf. Checks it
 * with ins_auth_cert_check() at `now` and, when `out` is not NULL, fills it
 * from the subject printed as gRPC prints it (RFC 2253). Returns 0 or
 * INS_EAUTH with the reason in `why` (`whylen` bytes). Thread-safe.
 */
int ins_auth_pem_principal(const char *pem, int64_t now, ins_principal *out, char *why,
                           size_t whylen);

/*
 * The parsing half of ins_auth_peer_principal(), without gRPC: fills `out`
 * from an RFC 2253 subject as OpenSSL's XN_FLAG_RFC2253 prints it (attributes
 * separated by ',' or '+', special characters escaped as "\," and non-ASCII
 * bytes as "\C3\A9"). Exactly one CN and one OU are required, at most one O,
 * any number of L (districts, joined in order into `out->districts`).
 * Returns 0 or INS_EAUTH with `*why` as above.
 */
int ins_auth_subject_principal(const char *subject, ins_principal *out, const char **why);

#endif /* INS_AUTH_PEER_H */
