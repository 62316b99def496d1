/*
 * grpcweb.h - the gRPC-Web wire format, without gRPC or HTTP: the request
 * body's one message frame, the response's message and trailer frames, and
 * the base64 of application/grpc-web-text.
 *
 * A frame is one flag byte (0x00 message, 0x80 trailers; bit 0 would mean
 * compressed), a 4-byte big-endian length and that many bytes. Browsers
 * cannot stream a request body, so a request carries exactly one message
 * (unary and server-streaming methods). The trailer frame's payload is HTTP/1
 * header lines: "grpc-status: 0\r\ngrpc-message: ...\r\n".
 *
 * No allocation, no global state: thread-safe.
 */
#ifndef INS_GRPCWEB_H
#define INS_GRPCWEB_H

#include <stddef.h>
#include <stdint.h>

#define INS_GW_HEADER   5    /* flag byte and length */
#define INS_GW_MESSAGE  0x00 /* flag of a message frame */
#define INS_GW_TRAILERS 0x80 /* flag of the trailer frame */

/*
 * Finds the one message of a request body `body` (`n` bytes). Sets `*msg` to
 * its first byte (inside `body`) and `*len` to its length. Returns 0;
 * INS_ETOOBIG when the frame declares more than `max` bytes (the server's
 * --max-message-bytes); INS_EINVAL for anything else that is not exactly one
 * uncompressed message frame (no frame, a cut frame, a trailer or compressed
 * frame, bytes after the frame), with a sentence for the caller in `why`
 * (`whylen` bytes). Can be called on a body's first bytes to learn early that
 * the frame is too big: only the header is needed for INS_ETOOBIG.
 */
int ins_gw_request_message(const uint8_t *body, size_t n, size_t max, const uint8_t **msg,
                           size_t *len, char *why, size_t whylen);

/* Writes the 5-byte header of a frame with `flag` and `len` into `out`. Can't fail. */
void ins_gw_frame_header(uint8_t flag, uint32_t len, uint8_t out[INS_GW_HEADER]);

/*
 * Writes the whole trailer frame for status `code` and `message` (may be
 * NULL or empty) into `out` (`cap` bytes), the message percent-encoded as
 * gRPC encodes grpc-message. Returns the frame's length, or 0 when `cap` is
 * too small (INS_GW_TRAILER_MAX always suffices for a message of up to 512
 * bytes; longer messages are cut at a UTF-8 boundary to fit).
 */
#define INS_GW_TRAILER_MAX (INS_GW_HEADER + 64 + 3 * 512)
size_t ins_gw_trailer_frame(int code, const char *message, uint8_t *out, size_t cap);

/*
 * Decodes the body of an application/grpc-web-text request, base64 that may
 * be the concatenation of several padded pieces, into `out` (`cap` bytes;
 * INS_B64_DECODED_MAX(n) suffices) and stores the length in `*outlen`.
 * Returns 0, INS_EINVAL when the text is not base64, INS_ETOOBIG when `cap`
 * is too small.
 */
int ins_gw_text_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *outlen);

#endif /* INS_GRPCWEB_H */
