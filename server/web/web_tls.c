/*
 * web_tls.c - the client certificate of a mutual-TLS connection to the web
 * listener. libmicrohttpd runs TLS with GnuTLS and asks for a client
 * certificate when given the CA (MHD_OPTION_HTTPS_MEM_TRUST), but leaves the
 * verdict to the application: it is made here, against that CA, with
 * GnuTLS's own chain and date checks. What the gRPC port checks beyond the
 * chain (key policy, dates per call, the subject) is then done by call
 * admission on the relayed call (rpc/call.c), the one place for it.
 */
#include "web_impl.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *ins_web_client_cert(struct MHD_Connection *conn, char *why, size_t whylen)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    gnutls_session_t session = ci ? (gnutls_session_t)ci->tls_session : NULL;
    unsigned int status = 0, n = 0;
    const gnutls_datum_t *chain = session ? gnutls_certificate_get_peers(session, &n) : NULL;
    if (!chain || n == 0) {
        snprintf(why, whylen,
                 "this server requires a client certificate signed by its --tls-client-ca; "
                 "the browser sent none\n");
        return NULL;
    }
    if (gnutls_certificate_verify_peers2(session, &status) != GNUTLS_E_SUCCESS || status != 0) {
        gnutls_datum_t text = {NULL, 0};
        if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0) == 0)
            snprintf(why, whylen, "the client certificate does not verify: %s\n", text.data);
        else
            snprintf(why, whylen, "the client certificate does not verify\n");
        gnutls_free(text.data);
        return NULL;
    }
    gnutls_x509_crt_t crt;
    gnutls_datum_t pem = {NULL, 0};
    char *out = NULL;
    if (gnutls_x509_crt_init(&crt) == 0) {
        if (gnutls_x509_crt_import(crt, &chain[0], GNUTLS_X509_FMT_DER) == 0 &&
            gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem) == 0) {
            out = malloc(pem.size + 1);
            if (out) {
                memcpy(out, pem.data, pem.size);
                out[pem.size] = '\0';
            }
        }
        gnutls_free(pem.data);
        gnutls_x509_crt_deinit(crt);
    }
    if (!out)
        snprintf(why, whylen, "the client certificate cannot be read\n");
    return out;
}
