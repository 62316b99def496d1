/*
 * reflection.c - grpc.reflection.v1 and v1alpha ServerReflection (see
 * reflection.h).
 *
 * The call is a loop on its worker thread: ins_call_read → on_read(request)
 * → ins_call_send(response) → on_sent → ins_call_read ...; the client's
 * half-close (on_read(NULL)) ends it with OK. One request, one response,
 * never more than one of each in flight.
 *
 * Answers:
 *   list_services              the registered services that the descriptor
 *                              set describes, plus Health and this service;
 *   file_by_filename,
 *   file_containing_symbol,
 *   file_containing_extension  the file and all its transitive imports
 *                              (grpcurl resolves types only with them);
 *   all_extension_numbers_of_type
 *                              the extension numbers of a known message type
 *                              (our protos declare no extensions, so today
 *                              the list is empty) or NOT_FOUND.
 * A failed lookup is an ErrorResponse with a gRPC status code (NOT_FOUND,
 * INVALID_ARGUMENT for an empty request); the stream goes on. Every response
 * echoes valid_host and original_request.
 *
 * v1 and v1alpha are the same messages under two package names. A v1 call
 * is decoded by the runtime as a v1 request; on_read re-reads its bytes as
 * v1alpha and answers with the same code, and the v1alpha response packs
 * into the very bytes a v1 response would have.
 *
 * The response is built on the stack from borrowed pointers (request fields,
 * descriptor bytes owned by the index, service names owned by the server):
 * ins_call_send serializes it before returning.
 */
#include "reflection.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ins_descset.h"
#include "grpc/reflection/v1/reflection.pb-c.h"
#include "grpc/reflection/v1alpha/reflection.pb-c.h"
#include "ins_error.h"

extern const unsigned char ins_descriptor_set[];
extern const size_t ins_descriptor_set_len;

#define REFLECTION_NAME    "grpc.reflection.v1alpha.ServerReflection"
#define REFLECTION_V1_NAME "grpc.reflection.v1.ServerReflection"
#define HEALTH_NAME        "grpc.health.v1.Health"

/* gRPC status codes carried in ErrorResponse.error_code (not a gRPC header here). */
#define CODE_INVALID_ARGUMENT 3
#define CODE_NOT_FOUND        5

typedef Grpc__Reflection__V1alpha__ServerReflectionRequest refl_req;
typedef Grpc__Reflection__V1alpha__ServerReflectionResponse refl_resp;

/* The index, built once by ins_reflection_init; read-only afterwards. */
static ins_descset *reflection_set;

int ins_reflection_init(ins_server *s)
{
    if (reflection_set)
        return 0;
    return ins_descset_open(ins_descriptor_set, ins_descriptor_set_len, &reflection_set);
}

/* Temporaries of one response; freed once it is sent. */
typedef struct answer {
    refl_resp resp;
    Grpc__Reflection__V1alpha__FileDescriptorResponse files;
    Grpc__Reflection__V1alpha__ExtensionNumberResponse exts;
    Grpc__Reflection__V1alpha__ListServiceResponse list;
    Grpc__Reflection__V1alpha__ErrorResponse error;
    char error_text[512];
    ProtobufCBinaryData *file_data;                        /* malloc'd */
    Grpc__Reflection__V1alpha__ServiceResponse *svc_data;  /* malloc'd */
    Grpc__Reflection__V1alpha__ServiceResponse **svc_ptrs; /* malloc'd */
    int32_t *numbers;                                      /* malloc'd by descset */
} answer;

static void answer_error(answer *a, int code, const char *fmt, const char *arg)
{
    snprintf(a->error_text, sizeof(a->error_text), fmt, arg);
    a->error.error_code = code;
    a->error.error_message = a->error_text;
    a->resp.message_response_case =
        GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE;
    a->resp.error_response = &a->error;
}

static int add_file(void *arg, const char *name, const unsigned char *bytes, size_t len)
{
    answer *a = arg;
    a->file_data[a->files.n_file_descriptor_proto++] =
        (ProtobufCBinaryData){.len = len, .data = (uint8_t *)bytes};
    return 0;
}

/* The file and its transitive imports. Returns 0, INS_ENOTFOUND or ENOMEM. */
static int answer_file(answer *a, const char *filename)
{
    size_t n = ins_descset_file_count(reflection_set);
    a->file_data = malloc((n ? n : 1) * sizeof(*a->file_data));
    if (!a->file_data)
        return ENOMEM;
    a->files.file_descriptor_proto = a->file_data;
    int rc = ins_descset_files_with_deps(reflection_set, filename, add_file, a);
    if (rc)
        return rc;
    a->resp.message_response_case =
        GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE;
    a->resp.file_descriptor_response = &a->files;
    return 0;
}

static int listed(const answer *a, const char *name)
{
    for (size_t i = 0; i < a->list.n_service; i++) {
        if (strcmp(a->svc_ptrs[i]->name, name) == 0)
            return 1;
    }
    return 0;
}

static int add_service(answer *a, const char *name)
{
    if (listed(a, name))
        return 0;
    Grpc__Reflection__V1alpha__ServiceResponse *sr = &a->svc_data[a->list.n_service];
    grpc__reflection__v1alpha__service_response__init(sr);
    sr->name = (char *)name;
    a->svc_ptrs[a->list.n_service++] = sr;
    return 0;
}

static int answer_list(answer *a, const ins_server *s)
{
    size_t n = ins_server_service_count(s) + 3;
    a->svc_data = malloc(n * sizeof(*a->svc_data));
    a->svc_ptrs = malloc(n * sizeof(*a->svc_ptrs));
    if (!a->svc_data || !a->svc_ptrs)
        return ENOMEM;
    a->list.service = a->svc_ptrs;
    for (size_t i = 0; i + 3 < n; i++) {
        const char *name = ins_server_service_name(s, i);
        ins_descset_kind kind;
        if (name && ins_descset_file_for_symbol(reflection_set, name, NULL, &kind) == 0 &&
            kind == INS_DESCSET_SERVICE)
            add_service(a, name);
    }
    add_service(a, HEALTH_NAME);
    add_service(a, REFLECTION_V1_NAME);
    add_service(a, REFLECTION_NAME);
    a->resp.message_response_case =
        GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE;
    a->resp.list_services_response = &a->list;
    return 0;
}

static int answer_ext_numbers(answer *a, const char *type)
{
    size_t n = 0;
    int rc = ins_descset_extension_numbers(reflection_set, type, &a->numbers, &n);
    if (rc)
        return rc;
    a->exts.base_type_name = (char *)(type[0] == '.' ? type + 1 : type);
    a->exts.n_extension_number = n;
    a->exts.extension_number = a->numbers;
    a->resp.message_response_case =
        GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE;
    a->resp.all_extension_numbers_response = &a->exts;
    return 0;
}

/* Fills `a` for request `req`. Returns 0, or ENOMEM (the call should fail). */
static int answer_request(answer *a, ins_call *call, const refl_req *req)
{
    const char *fname;
    int rc = 0;

    switch (req->message_request_case) {
    case GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES:
        rc = answer_list(a, ins_call_server(call));
        break;
    case GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME:
        rc = answer_file(a, req->file_by_filename);
        if (rc == INS_ENOTFOUND)
            answer_error(a, CODE_NOT_FOUND, "unknown file %s", req->file_by_filename);
        break;
    case GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL:
        rc = ins_descset_file_for_symbol(reflection_set, req->file_containing_symbol, &fname, NULL);
        if (rc == 0)
            rc = answer_file(a, fname);
        if (rc == INS_ENOTFOUND)
            answer_error(a, CODE_NOT_FOUND, "unknown symbol %s", req->file_containing_symbol);
        break;
    case GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION: {
        const Grpc__Reflection__V1alpha__ExtensionRequest *ext = req->file_containing_extension;
        const char *type = (ext && ext->containing_type) ? ext->containing_type : "";
        rc = ins_descset_file_for_extension(reflection_set, type, ext ? ext->extension_number : 0,
                                            &fname);
        if (rc == 0)
            rc = answer_file(a, fname);
        if (rc == INS_ENOTFOUND)
            answer_error(a, CODE_NOT_FOUND, "no such extension of %s", type);
        break;
    }
    case GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE:
        rc = answer_ext_numbers(a, req->all_extension_numbers_of_type);
        if (rc == INS_ENOTFOUND)
            answer_error(a, CODE_NOT_FOUND, "unknown message type %s",
                         req->all_extension_numbers_of_type);
        break;
    default:
        answer_error(a, CODE_INVALID_ARGUMENT, "%s", "request names no question");
        break;
    }
    return rc == INS_ENOTFOUND ? 0 : rc;
}

static void answer_free(answer *a)
{
    free(a->file_data);
    free(a->svc_data);
    free(a->svc_ptrs);
    free(a->numbers);
}

/* ---- the call ---------------------------------------------------------- */

static void reflection_start(ins_call *call, const ProtobufCMessage *req)
{
    if (!reflection_set) {
        ins_call_fail(call, INS_EINTERNAL, "reflection is not initialised");
        return;
    }
    ins_call_read(call);
}

static void reflection_on_read(ins_call *call, const ProtobufCMessage *msg)
{
    if (!msg) {
        ins_call_finish(call); /* the client half-closed */
        return;
    }
    const refl_req *req = (const refl_req *)msg;
    answer a;
    memset(&a, 0, sizeof(a));
    grpc__reflection__v1alpha__server_reflection_response__init(&a.resp);
    grpc__reflection__v1alpha__file_descriptor_response__init(&a.files);
    grpc__reflection__v1alpha__extension_number_response__init(&a.exts);
    grpc__reflection__v1alpha__list_service_response__init(&a.list);
    grpc__reflection__v1alpha__error_response__init(&a.error);
    a.resp.valid_host = req->host ? req->host : "";
    a.resp.original_request = (refl_req *)req;

    int rc = answer_request(&a, call, req);
    if (rc)
        ins_call_fail(call, rc, "reflection: %s", ins_strerror(rc));
    else
        ins_call_send(call, &a.resp.base); /* fails only once the call is over */
    answer_free(&a);
}

/* A v1 request: the same message as v1alpha, re-read under that name. */
static void reflection_v1_on_read(ins_call *call, const ProtobufCMessage *msg)
{
    if (!msg) {
        ins_call_finish(call);
        return;
    }
    size_t len = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        ins_call_fail(call, ENOMEM, "reflection: out of memory");
        return;
    }
    protobuf_c_message_pack(msg, buf);
    ProtobufCMessage *alpha = protobuf_c_message_unpack(
        &grpc__reflection__v1alpha__server_reflection_request__descriptor, NULL, len, buf);
    free(buf);
    if (!alpha) {
        ins_call_fail(call, ENOMEM, "reflection: out of memory");
        return;
    }
    reflection_on_read(call, alpha);
    protobuf_c_message_free_unpacked(alpha, NULL);
}

static void reflection_on_sent(ins_call *call, int ok)
{
    if (ok)
        ins_call_read(call); /* fails only once the call is over */
}

static const ins_method_ops reflection_ops = {
    .start = reflection_start,
    .on_read = reflection_on_read,
    .on_sent = reflection_on_sent,
};

static const ins_method_def reflection_methods[] = {
    {.name = "ServerReflectionInfo", .kind = INS_BIDI_STREAM, .roles = 0, .ops = &reflection_ops},
};

const ins_service_def ins_reflection_service = {
    .descriptor = &grpc__reflection__v1alpha__server_reflection__descriptor,
    .methods = reflection_methods,
    .n_methods = sizeof(reflection_methods) / sizeof(reflection_methods[0]),
};

static const ins_method_ops reflection_v1_ops = {
    .start = reflection_start,
    .on_read = reflection_v1_on_read,
    .on_sent = reflection_on_sent,
};

static const ins_method_def reflection_v1_methods[] = {
    {.name = "ServerReflectionInfo",
     .kind = INS_BIDI_STREAM,
     .roles = 0,
     .ops = &reflection_v1_ops},
};

const ins_service_def ins_reflection_v1_service = {
    .descriptor = &grpc__reflection__v1__server_reflection__descriptor,
    .methods = reflection_v1_methods,
    .n_methods = sizeof(reflection_v1_methods) / sizeof(reflection_v1_methods[0]),
};
