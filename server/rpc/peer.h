/*
 * peer.h - who is at the other end of a call: the effective peer.
 *
 * Behind a proxy (nginx in a province deployment) the transport's peer is
 * the proxy. A proxy listed in --trusted-proxy names the real client in
 * `x-forwarded-for` (the right-most entry is the address the proxy itself
 * saw; entries to its left were written by whoever sent the request and are
 * not believed). ins_call_peer() (declared in call.h) is the one place that
 * answers "who called": the call log and anything else that names the peer
 * use it. Here is the proxy list it consults, without gRPC, so it can be
 * tested alone.
 */
#ifndef INS_PEER_H
#define INS_PEER_H

#include <stddef.h>

typedef struct ins_proxy_list ins_proxy_list;

/*
 * Parses "ADDR[/BITS][,ADDR[/BITS]...]" (IPv4 or IPv6 addresses, optional
 * prefix length; spaces around entries ignored) into `*out`, freed with
 * ins_proxy_list_free. NULL or "" gives an empty list (no proxy trusted).
 * Returns 0; INS_EINVAL with a sentence in `err` (`errlen` bytes) naming the
 * entry that is not an address or has a prefix longer than its family;
 * ENOMEM. On error `*out` is NULL.
 */
int ins_proxy_list_parse(const char *text, ins_proxy_list **out, char *err, size_t errlen);

/* Frees `l`. NULL is fine. */
void ins_proxy_list_free(ins_proxy_list *l);

/*
 * Non-zero when the address text `ip` ("127.0.0.1", "::1"; an IPv4-mapped
 * IPv6 address counts as its IPv4 address) lies in one of the blocks of `l`.
 * NULL `l` or an unparsable `ip` give 0. Thread-safe; can't fail.
 */
int ins_proxy_list_has(const ins_proxy_list *l, const char *ip);

/*
 * The effective peer from its two parts, without gRPC: `transport` is
 * gRPC's peer text ("ipv4:127.0.0.1:4242", "ipv6:[::1]:4242", "unix:...");
 * `forwarded` the value of x-forwarded-for (may be NULL or empty, `flen`
 * bytes). Writes the transport peer, or, when its address is in `l` and a
 * forwarded address is present and well formed, that address as
 * "ipv4:ADDR" / "ipv6:[ADDR]" followed by " via " and the transport peer.
 * Writes into `out` (`outlen` bytes, truncated). Can't fail.
 */
void ins_peer_effective(const ins_proxy_list *l, const char *transport, const char *forwarded,
                        size_t flen, char *out, size_t outlen);

#endif /* INS_PEER_H */
