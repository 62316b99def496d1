/*
 * directory_impl.h - the handlers of inspect.v1.Directory, split by subject
 * over directory*.c; directory.c holds the method table.
 */
#ifndef INS_DIRECTORY_IMPL_H
#define INS_DIRECTORY_IMPL_H

#include "ctx.h"
#include "inspect/v1/directory.pb-c.h"
#include "mutate.h"
#include "recio.h"

extern const ins_method_ops ins_dir_upsert_inspector_ops;
extern const ins_method_ops ins_dir_get_inspector_ops;
extern const ins_method_ops ins_dir_list_inspectors_ops;
extern const ins_method_ops ins_dir_upsert_item_ops;
extern const ins_method_ops ins_dir_list_items_ops;
extern const ins_method_ops ins_dir_publish_template_ops;
extern const ins_method_ops ins_dir_get_template_ops;

/* Key of a department / inspector / item / template version. */
void ins_dir_key_department(ins_key *k, const char *code);
void ins_dir_key_inspector(ins_key *k, const char *id);
void ins_dir_key_item(ins_key *k, const char *code);
void ins_dir_key_template(ins_key *k, const char *id, uint32_t version);

/*
 * Reads the latest published version of template `id` into *out (caller
 * frees). Returns 0, INS_ENOTFOUND, or a storage error. The `r` variant
 * reads a snapshot, the `t` variant inside a write transaction.
 */
int ins_dir_latest_template(ins_rtxn *r, ins_wtxn *t, const char *id, Inspect__V1__Template **out);

/* Non-zero when department `code` exists (inside a write transaction). */
int ins_dir_department_exists(ins_wtxn *t, const char *code);

#endif /* INS_DIRECTORY_IMPL_H */
