/*
 * ins_photo_upload.c - one attempt of Field.UploadPhoto from a file (see
 * ins_photo_upload.h): header, the server's committed offset from the
 * initial metadata, chunks from there, half-close, answer.
 *
 * While chunks go out without waiting (req->wait 0, or the metadata did not
 * come within MD_WAIT_MS: a router in between may hold it until request
 * bytes flow), the metadata is looked for after every chunk without
 * blocking; when it says the server holds more than was sent, sending jumps
 * there (the chunks in between were compared with the committed bytes and
 * skipped by the server).
 */
#include "ins_photo_upload.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <grpc/status.h>
#include <openssl/evp.h>

#include "ins_error.h"
#include "ins_sha256.h"
#include "ins_upload.h"

#define UPLOAD_METHOD "/inspect.v1.Field/UploadPhoto"
/* How long a resume waits for the committed offset before it sends anyway. */
#define MD_WAIT_MS 2000

static int read_at(int fd, uint8_t *buf, size_t len, uint64_t off)
{
    while (len > 0) {
        ssize_t n = pread(fd, buf, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? errno : EIO; /* EIO: the file shrank */
        buf += n, len -= (size_t)n, off += (uint64_t)n;
    }
    return 0;
}

int ins_upload_hash_file(int fd, uint64_t total, uint8_t *buf, size_t len, uint8_t sha[32],
                         int *read_err)
{
    *read_err = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx != NULL && EVP_DigestInit_ex(ctx, ins_sha256_md(), NULL) == 1;
    for (uint64_t off = 0; ok && off < total; off += len) {
        size_t n = total - off < len ? (size_t)(total - off) : len;
        if ((*read_err = read_at(fd, buf, n, off)) != 0)
            ok = 0;
        else
            ok = EVP_DigestUpdate(ctx, buf, n) == 1;
    }
    unsigned dlen = 0;
    ok = ok && EVP_DigestFinal_ex(ctx, sha, &dlen) == 1 && dlen == 32;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : -1;
}

int ins_upload_retryable(int code, const char *details)
{
    if (ins_client_link_lost(code))
        return 1;
    switch (code) {
    case GRPC_STATUS_DEADLINE_EXCEEDED:
    case GRPC_STATUS_CANCELLED:
    case GRPC_STATUS_ABORTED:
        return 1;
    case GRPC_STATUS_RESOURCE_EXHAUSTED: /* only a busy writer; a full store or disk is final */
        return details != NULL && strncmp(details, INS_MSG_BUSY, sizeof INS_MSG_BUSY - 1) == 0;
    case GRPC_STATUS_FAILED_PRECONDITION: /* a chunk the server no longer expects */
        return details != NULL && strstr(details, "offset") != NULL;
    default:
        return 0;
    }
}

/* Looks for the committed offset, waiting up to `wait_ms` (> 0). Returns 1
 * with *offset set, 0 when not known yet, -1 when the call ended without
 * it. */
static int server_offset(ins_stream *s, int64_t wait_ms, uint64_t *offset)
{
    char *v = NULL;
    int r = ins_stream_metadata(s, INS_UPLOAD_OFFSET_MD, wait_ms, &v);
    if (r < 0)
        return 0;
    char *end = NULL;
    if (r == 1) {
        errno = 0;
        unsigned long long n = strtoull(v, &end, 10);
        r = errno == 0 && end != v && *end == '\0' ? 1 : -1;
        *offset = (uint64_t)n;
    } else {
        r = -1;
    }
    free(v);
    return r;
}

/* Sends the chunks from the server's offset. Returns 1 when all went out; 2
 * when the server answered without asking for chunks (an upload finished
 * before, a refused header): its answer or status follows; 0 when a send
 * failed; -1 when the photo could not be read. */
static int send_chunks(ins_stream *s, const ins_upload_req *req, uint8_t *buf,
                       const ins_upload_hooks *h, int *read_err)
{
    uint64_t total = req->hdr->total_size, off = req->from, at = 0;
    int known = 0; /* the server's offset arrived */
    if (req->wait) {
        /* A router may hold the response headers until request bytes flow
         * (nginx): after MD_WAIT_MS send from `from` and jump once they come. */
        int r = server_offset(s, MD_WAIT_MS, &at);
        if (r < 0)
            return 2;
        if (r == 1) {
            known = 1;
            off = at > off ? at : off;
            if (h->committed)
                h->committed(h->arg, at);
        }
    }
    Inspect__V1__UploadPhotoRequest msg = INSPECT__V1__UPLOAD_PHOTO_REQUEST__INIT;
    Inspect__V1__UploadChunk chunk = INSPECT__V1__UPLOAD_CHUNK__INIT;
    msg.part_case = INSPECT__V1__UPLOAD_PHOTO_REQUEST__PART_CHUNK;
    msg.chunk = &chunk;
    while (off < total) {
        if (!known) {
            int r = server_offset(s, 1, &at);
            if (r < 0)
                return 2;
            if (r == 1) {
                known = 1;
                if (h->committed)
                    h->committed(h->arg, at);
                if (at > off)
                    off = at;
                if (off >= total)
                    break;
            }
        }
        size_t n = total - off < req->chunk ? (size_t)(total - off) : req->chunk;
        if ((*read_err = read_at(req->fd, buf, n, off)) != 0)
            return -1;
        chunk.offset = off;
        chunk.data.data = buf;
        chunk.data.len = n;
        if (ins_stream_send(s, &msg.base) != 0)
            return 0;
        off += n;
        if (h->progress)
            h->progress(h->arg, off);
    }
    return 1;
}

int ins_upload_attempt(ins_client *c, const ins_upload_req *req, uint8_t *buf,
                       const ins_upload_hooks *hooks, Inspect__V1__UploadPhotoResponse **resp,
                       char **details, int *read_err)
{
    static const ins_upload_hooks none = {0};
    const ins_upload_hooks *h = hooks ? hooks : &none;
    *resp = NULL;
    *details = NULL;
    *read_err = 0;
    ins_stream *s = NULL;
    int code = ins_stream_start(c, UPLOAD_METHOD, &inspect__v1__upload_photo_response__descriptor,
                                req->timeout_ms, &s);
    if (code != 0) {
        *details = strdup("gRPC refused to start the call");
        return code;
    }
    if (h->stream)
        h->stream(h->arg, s);
    Inspect__V1__UploadPhotoRequest msg = INSPECT__V1__UPLOAD_PHOTO_REQUEST__INIT;
    msg.part_case = INSPECT__V1__UPLOAD_PHOTO_REQUEST__PART_HEADER;
    msg.header = (Inspect__V1__UploadHeader *)req->hdr;
    int sent = ins_stream_send(s, &msg.base) == 0 ? send_chunks(s, req, buf, h, read_err) : 0;
    if (sent == 1 && ins_stream_close_send(s) != 0)
        sent = 0;
    ProtobufCMessage *m = NULL;
    if (sent >= 1) {
        ins_stream_recv(s, INS_TIMEOUT_NONE, &m);
    } else {
        /* A send failed or the call ended early: the server's status (if it
         * ended the call) is on its way; give it a moment. Then cancel:
         * after a connection reset gRPC core (1.51) may otherwise never
         * complete the status, and a cancel after the status changes
         * nothing. */
        if (sent == 0 && ins_stream_recv(s, 2000, &m) == 1) {
            protobuf_c_message_free_unpacked(m, NULL);
            m = NULL;
        }
        ins_stream_cancel(s);
    }
    if (h->stream)
        h->stream(h->arg, NULL);
    code = ins_stream_finish(s, details);
    if (sent < 0) {
        if (m != NULL)
            protobuf_c_message_free_unpacked(m, NULL);
        return -1;
    }
    if (code == 0 && m == NULL) {
        free(*details);
        *details = strdup("the server finished the upload without an answer");
        code = GRPC_STATUS_INTERNAL;
    }
    if (code == 0)
        *resp = (Inspect__V1__UploadPhotoResponse *)m;
    else if (m != NULL)
        protobuf_c_message_free_unpacked(m, NULL);
    return code;
}
