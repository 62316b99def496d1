/*
 * directory_impl.h - the handlers of inspect.v1.Directory, split by subject
 * over directory*.c; directory.c holds the method table.
 */
#ifndef INS_DIRECTORY_IMPL_H
#define INS_DIRECTORY_IMPL_H

#include "ctx.h"
#include "inspect/v1/directory.pb-c.h"
#include "mutate.h"
#include "rec_directory.h"
#include "recio.h"

extern const ins_method_ops ins_dir_upsert_inspector_ops;
extern const ins_method_ops ins_dir_get_inspector_ops;
extern const ins_method_ops ins_dir_list_inspectors_ops;
extern const ins_method_ops ins_dir_upsert_item_ops;
extern const ins_method_ops ins_dir_list_items_ops;
extern const ins_method_ops ins_dir_publish_template_ops;
extern const ins_method_ops ins_dir_get_template_ops;
extern const ins_method_ops ins_dir_revoke_tokens_ops;

#endif /* INS_DIRECTORY_IMPL_H */
