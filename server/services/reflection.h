/*
 * reflection.h - grpc.reflection.v1.ServerReflection and its older twin
 * v1alpha: let grpcurl, Postman and evans discover the API (newer tools try
 * v1 first). The descriptors carry the .proto comments (source info), so
 * `describe` shows what each method does and who may call it.
 *
 * One bidi method, ServerReflectionInfo: every request gets one response, in
 * order, until the client half-closes. Answers come from the FileDescriptorSet
 * embedded in the server (ins_descriptor_set, see descset.h). The method is
 * open (no credentials).
 */
#ifndef INS_REFLECTION_H
#define INS_REFLECTION_H

#include "server.h"

/* The service definitions to pass to ins_server_add_service(): v1alpha and
 * v1 (the same answers). */
extern const ins_service_def ins_reflection_service;
extern const ins_service_def ins_reflection_v1_service;

/*
 * Parses the embedded descriptor set into a module-level index shared by
 * every call (one server per process; the index lives until the process
 * exits). Call once before ins_server_start, from the main thread; later
 * calls return 0 and change nothing. `s` is unused for now. Returns 0, or
 * the error of ins_descset_open(): INS_EINVAL when the embedded set is
 * broken, ENOMEM.
 */
int ins_reflection_init(ins_server *s);

#endif /* INS_REFLECTION_H */
