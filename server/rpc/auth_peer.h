/*
 * auth_peer.h - the principal of a call from its mutual-TLS client
 * certificate.
 *
 * The certificate subject names the principal (CN), the role (OU, one of the
 * names ins_role_name() prints) and the department (O, optional). gRPC core
 * hands the verified subject over in the call's auth context as an RFC 2253
 * string ("CN=insp-001,OU=inspector,O=fire"), which is parsed here.
 *
 * Trust: the auth context says which certificate the peer presented, not
 * whether it was verified. The server credentials must be created with
 * GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY (tokens or certificates) or
 * GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY (certificates
 * only) and the client CA as root: never a *_BUT_DONT_VERIFY option, or any
 * self-made certificate would be believed.
 */
#ifndef INS_AUTH_PEER_H
#define INS_AUTH_PEER_H

#include <grpc/grpc.h>

#include "ins_principal.h"

/*
 * Fills `out` from the client certificate of `call` (method INS_AUTH_MTLS,
 * expires_unix 0). Returns 0 (`*why` set to NULL); INS_ENOTFOUND when the
 * call carries no client certificate (plaintext, or TLS without one), so the
 * caller may look for a bearer token instead; INS_EAUTH with `*why` set to a
 * static text when a certificate is present but its subject lacks a usable
 * CN or an OU naming a known role. `why` may be NULL. On error `*out` is left
 * untouched. Call from the call's worker thread while the call is alive.
 */
int ins_auth_peer_principal(grpc_call *call, ins_principal *out, const char **why);

/*
 * The parsing half of ins_auth_peer_principal(), without gRPC: fills `out`
 * from an RFC 2253 subject as OpenSSL's XN_FLAG_RFC2253 prints it (attributes
 * separated by ',' or '+', special characters escaped as "\," and non-ASCII
 * bytes as "\C3\A9"). Exactly one CN and one OU are required, at most one O.
 * Returns 0 or INS_EAUTH with `*why` as above.
 */
int ins_auth_subject_principal(const char *subject, ins_principal *out, const char **why);

#endif /* INS_AUTH_PEER_H */
