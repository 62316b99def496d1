/*
 * inproc.c - the in-process channel of inproc.h.
 *
 * gRPC core 1.51 (Debian 12) exports grpc_inproc_channel_create from
 * libgrpc but declares it only in an internal C++ header, without extern
 * "C", so its symbol carries C++ linkage. It is bound here, in this one
 * place, by that symbol name; its arguments are plain pointers, which the
 * C and C++ calling conventions pass alike. CMake checks at configure time
 * that the symbol links (cmake/inproc.cmake), so a libgrpc without it fails
 * the build with a clear message instead of at run time.
 */
#include "inproc.h"

#include <stdio.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "runtime.h"

grpc_channel *ins_grpc_inproc_channel_create(
    grpc_server *server, const grpc_channel_args *args,
    void *reserved) __asm__("_Z26grpc_inproc_channel_createP11grpc_serverPK17grpc_channel_argsPv");

grpc_channel *ins_server_inproc_channel(ins_server *s, char *err, size_t errlen)
{
    if (!ins_server_started(s)) {
        snprintf(err, errlen, "the in-process channel needs a started server");
        return NULL;
    }
    grpc_arg args[2];
    args[0].type = GRPC_ARG_INTEGER;
    args[0].key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
    args[0].value.integer = -1;
    args[1].type = GRPC_ARG_INTEGER;
    args[1].key = GRPC_ARG_MAX_SEND_MESSAGE_LENGTH;
    args[1].value.integer = -1;
    grpc_channel_args ch = {.num_args = 2, .args = args};
    grpc_channel *c = ins_grpc_inproc_channel_create(ins_server_grpc(s), &ch, NULL);
    if (!c)
        snprintf(err, errlen, "gRPC core refused an in-process channel");
    return c;
}

void ins_server_relay_sign(const ins_server *s, const void *data, size_t n,
                           unsigned char mac[INS_RELAY_MAC_LEN])
{
    unsigned int len = INS_RELAY_MAC_LEN;
    const unsigned char *key = ins_server_relay_key(s);
    HMAC(EVP_sha256(), key, INS_RELAY_MAC_LEN, data, n, mac, &len);
}

int ins_server_relay_verify(const ins_server *s, const void *data, size_t n, const void *mac,
                            size_t maclen)
{
    unsigned char want[INS_RELAY_MAC_LEN];
    if (maclen != INS_RELAY_MAC_LEN)
        return 0;
    ins_server_relay_sign(s, data, n, want);
    return CRYPTO_memcmp(want, mac, INS_RELAY_MAC_LEN) == 0;
}
