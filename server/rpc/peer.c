/*
 * peer.c - the effective peer of a call (see peer.h): the trusted proxy
 * list and ins_call_peer(), the one function that says who called.
 */
#include "peer.h"
#include "runtime.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/support/alloc.h>

#include "ins_error.h"

#define ENTRY_MAX 64 /* longest "ADDR/BITS" entry */

typedef struct block {
    unsigned char addr[16]; /* IPv4 as an IPv4-mapped IPv6 address */
    unsigned bits;          /* prefix length over the 128 bits */
} block;

struct ins_proxy_list {
    size_t n;
    block blocks[];
};

/* Parses an address into its 16-byte form (IPv4 mapped). Returns 32 or 128
 * (the family's bits), or 0 when `text` is no address. */
static unsigned parse_addr(const char *text, unsigned char out[16])
{
    struct in_addr v4;
    if (inet_pton(AF_INET, text, &v4) == 1) {
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &v4, 4);
        return 32;
    }
    return inet_pton(AF_INET6, text, out) == 1 ? 128 : 0;
}

/* Parses one entry, the `len` bytes at `p` ("ADDR" or "ADDR/BITS"). 0 or -1. */
static int parse_entry(const char *p, size_t len, block *b)
{
    char entry[ENTRY_MAX];
    if (len == 0 || len >= sizeof entry)
        return -1;
    memcpy(entry, p, len);
    entry[len] = '\0';
    char *slash = strchr(entry, '/');
    if (slash)
        *slash = '\0';
    unsigned family = parse_addr(entry, b->addr);
    char *end = NULL;
    long bits = slash ? strtol(slash + 1, &end, 10) : (long)family;
    if (family == 0 || (slash && (end == slash + 1 || *end || bits < 0 || bits > (long)family)))
        return -1;
    b->bits = (unsigned)bits + (128 - family);
    return 0;
}

int ins_proxy_list_parse(const char *text, ins_proxy_list **out, char *err, size_t errlen)
{
    *out = NULL;
    size_t cap = 1;
    for (const char *p = text ? text : ""; *p; p++)
        cap += *p == ',';
    ins_proxy_list *l = calloc(1, sizeof(*l) + cap * sizeof(block));
    if (!l)
        return ENOMEM;
    const char *p = text ? text : "";
    for (int more = *p != '\0'; more;) { /* "a," has an empty last entry */
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *next = comma ? comma + 1 : NULL;
        more = comma != NULL;
        while (len > 0 && *p == ' ')
            p++, len--;
        while (len > 0 && p[len - 1] == ' ')
            len--;
        if (parse_entry(p, len, &l->blocks[l->n]) != 0) {
            snprintf(err, errlen,
                     "--trusted-proxy: '%.*s' is not an IP address or a CIDR block such as "
                     "127.0.0.1 or 10.0.0.0/8",
                     (int)len, p);
            free(l);
            return INS_EINVAL;
        }
        l->n++;
        p = next;
    }
    *out = l;
    return 0;
}

void ins_proxy_list_free(ins_proxy_list *l)
{
    free(l);
}

/* Non-zero when the first `bits` bits of `a` and `b` agree. */
static int prefix_eq(const unsigned char *a, const unsigned char *b, unsigned bits)
{
    unsigned whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, whole) != 0)
        return 0;
    if (rest == 0)
        return 1;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

int ins_proxy_list_has(const ins_proxy_list *l, const char *ip)
{
    unsigned char a[16];
    if (!l || !ip || parse_addr(ip, a) == 0)
        return 0;
    for (size_t i = 0; i < l->n; i++)
        if (prefix_eq(a, l->blocks[i].addr, l->blocks[i].bits))
            return 1;
    return 0;
}

/* The address part of gRPC's peer text into `out` (INET6_ADDRSTRLEN):
 * "ipv4:1.2.3.4:5" → "1.2.3.4", "ipv6:[::1]:5" → "::1". 0, or -1. */
static int transport_addr(const char *peer, char *out, size_t outlen)
{
    const char *start, *end;
    if (strncmp(peer, "ipv4:", 5) == 0) {
        start = peer + 5;
        end = strrchr(start, ':');
    } else if (strncmp(peer, "ipv6:[", 6) == 0) {
        start = peer + 6;
        end = strchr(start, ']');
    } else {
        return -1;
    }
    if (!end || end == start || (size_t)(end - start) >= outlen)
        return -1;
    memcpy(out, start, (size_t)(end - start));
    out[end - start] = '\0';
    return 0;
}

void ins_peer_effective(const ins_proxy_list *l, const char *transport, const char *forwarded,
                        size_t flen, char *out, size_t outlen)
{
    char proxy[INET6_ADDRSTRLEN], client[INET6_ADDRSTRLEN];
    unsigned char bin[16];
    const char *t = transport ? transport : "unknown";
    if (!l || !l->n || !forwarded || flen == 0 || transport_addr(t, proxy, sizeof proxy) != 0 ||
        !ins_proxy_list_has(l, proxy))
        goto plain;
    /* The right-most entry: the address the trusted proxy itself saw. */
    size_t end = flen, start;
    while (end > 0 && forwarded[end - 1] == ' ')
        end--;
    start = end;
    while (start > 0 && forwarded[start - 1] != ',')
        start--;
    while (start < end && forwarded[start] == ' ')
        start++;
    if (end == start || end - start >= sizeof client)
        goto plain;
    memcpy(client, forwarded + start, end - start);
    client[end - start] = '\0';
    unsigned family = parse_addr(client, bin);
    if (family == 0)
        goto plain;
    snprintf(out, outlen, family == 32 ? "ipv4:%s via %s" : "ipv6:[%s] via %s", client, t);
    return;
plain:
    snprintf(out, outlen, "%s", t);
}

void ins_call_peer(const ins_call *c, char *out, size_t outlen)
{
    char *transport = grpc_call_get_peer(c->call);
    grpc_slice fwd = ins__call_md(c, "x-forwarded-for");
    ins_peer_effective(ins_server_trusted_proxies(c->server), transport,
                       (const char *)GRPC_SLICE_START_PTR(fwd), GRPC_SLICE_LENGTH(fwd), out,
                       outlen);
    gpr_free(transport);
}
