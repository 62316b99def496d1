/*
 * descset.c - the FileDescriptorSet index behind reflection (see ins_descset.h).
 *
 * The set is unpacked once with protobuf-c and kept: file names and import
 * lists point into it. Each file is re-packed into its own buffer (protobuf-c
 * keeps unknown fields, so nothing is lost) because reflection sends files one
 * by one. Symbols go into one array sorted by name and searched with bsearch;
 * the import closure of every file is computed here too, so queries never
 * allocate and the finished index is read-only (safe to share between
 * threads). Sets are small (tens of files, hundreds of symbols), so a sorted
 * array beats a hash table on code size with no measurable cost.
 */
#include "ins_descset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/descriptor.pb-c.h"
#include "ins_error.h"

typedef Google__Protobuf__FileDescriptorProto file_proto;
typedef Google__Protobuf__DescriptorProto message_proto;
typedef Google__Protobuf__EnumDescriptorProto enum_proto;
typedef Google__Protobuf__FieldDescriptorProto field_proto;

struct file_ent {
    const char *name;     /* points into set->fds */
    unsigned char *bytes; /* serialized FileDescriptorProto, owned */
    size_t len;
    size_t *closure; /* this file, then its transitive imports; owned */
    size_t n_closure;
};

struct sym_ent {
    char *name; /* owned */
    size_t file;
    ins_descset_kind kind;
};

struct ext_ent {
    char *extendee; /* fully-qualified, no leading dot; owned */
    int32_t number;
    size_t file;
};

struct ins_descset {
    Google__Protobuf__FileDescriptorSet *fds;
    struct file_ent *files;
    size_t n_files;
    struct sym_ent *syms;
    size_t n_syms, cap_syms;
    struct ext_ent *exts;
    size_t n_exts, cap_exts;
};

static const char *strip_dot(const char *name)
{
    return (name && name[0] == '.') ? name + 1 : name;
}

/* "scope.name", or "name" when scope is empty. NULL on ENOMEM. */
static char *join(const char *scope, const char *name)
{
    size_t ls = scope ? strlen(scope) : 0, ln = strlen(name);
    char *s = malloc(ls + 1 + ln + 1);
    if (!s)
        return NULL;
    if (ls) {
        memcpy(s, scope, ls);
        s[ls++] = '.';
    }
    memcpy(s + ls, name, ln + 1);
    return s;
}

/* Adds scope.name; on success `*stored` (may be NULL) is the stored name. */
static int add_sym(ins_descset *set, const char *scope, const char *name, size_t file,
                   ins_descset_kind kind, const char **stored)
{
    if (!name || !*name)
        return INS_EINVAL;
    if (set->n_syms == set->cap_syms) {
        size_t cap = set->cap_syms ? set->cap_syms * 2 : 64;
        struct sym_ent *p = realloc(set->syms, cap * sizeof(*p));
        if (!p)
            return ENOMEM;
        set->syms = p;
        set->cap_syms = cap;
    }
    char *full = join(scope, name);
    if (!full)
        return ENOMEM;
    set->syms[set->n_syms++] = (struct sym_ent){.name = full, .file = file, .kind = kind};
    if (stored)
        *stored = full;
    return 0;
}

static int add_enum(ins_descset *set, const char *scope, const enum_proto *e, size_t file)
{
    int rc = add_sym(set, scope, e->name, file, INS_DESCSET_ENUM, NULL);
    for (size_t i = 0; rc == 0 && i < e->n_value; i++)
        rc = add_sym(set, scope, e->value[i]->name, file, INS_DESCSET_ENUM_VALUE, NULL);
    return rc;
}

/* An extension declared in `scope`: a symbol there, and an (extendee, number) entry. */
static int add_extension(ins_descset *set, const char *scope, const field_proto *f, size_t file)
{
    int rc = add_sym(set, scope, f->name, file, INS_DESCSET_FIELD, NULL);
    if (rc)
        return rc;
    if (!f->extendee || !f->has_number)
        return INS_EINVAL;
    if (set->n_exts == set->cap_exts) {
        size_t cap = set->cap_exts ? set->cap_exts * 2 : 16;
        struct ext_ent *p = realloc(set->exts, cap * sizeof(*p));
        if (!p)
            return ENOMEM;
        set->exts = p;
        set->cap_exts = cap;
    }
    char *extendee = strdup(strip_dot(f->extendee));
    if (!extendee)
        return ENOMEM;
    set->exts[set->n_exts++] =
        (struct ext_ent){.extendee = extendee, .number = f->number, .file = file};
    return 0;
}

static int add_message(ins_descset *set, const char *scope, const message_proto *m, size_t file)
{
    const char *full;
    int rc = add_sym(set, scope, m->name, file, INS_DESCSET_MESSAGE, &full);
    for (size_t i = 0; rc == 0 && i < m->n_field; i++)
        rc = add_sym(set, full, m->field[i]->name, file, INS_DESCSET_FIELD, NULL);
    for (size_t i = 0; rc == 0 && i < m->n_nested_type; i++)
        rc = add_message(set, full, m->nested_type[i], file);
    for (size_t i = 0; rc == 0 && i < m->n_enum_type; i++)
        rc = add_enum(set, full, m->enum_type[i], file);
    for (size_t i = 0; rc == 0 && i < m->n_extension; i++)
        rc = add_extension(set, full, m->extension[i], file);
    return rc;
}

static int add_file_symbols(ins_descset *set, size_t file)
{
    const file_proto *fp = set->fds->file[file];
    const char *pkg = fp->package ? fp->package : "";
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < fp->n_message_type; i++)
        rc = add_message(set, pkg, fp->message_type[i], file);
    for (size_t i = 0; rc == 0 && i < fp->n_enum_type; i++)
        rc = add_enum(set, pkg, fp->enum_type[i], file);
    for (size_t i = 0; rc == 0 && i < fp->n_extension; i++)
        rc = add_extension(set, pkg, fp->extension[i], file);
    for (size_t i = 0; rc == 0 && i < fp->n_service; i++) {
        const Google__Protobuf__ServiceDescriptorProto *svc = fp->service[i];
        const char *full;
        rc = add_sym(set, pkg, svc->name, file, INS_DESCSET_SERVICE, &full);
        for (size_t j = 0; rc == 0 && j < svc->n_method; j++)
            rc = add_sym(set, full, svc->method[j]->name, file, INS_DESCSET_METHOD, NULL);
    }
    return rc;
}

static int find_file(const ins_descset *set, const char *name, size_t *idx)
{
    if (!name)
        return INS_ENOTFOUND;
    for (size_t i = 0; i < set->n_files; i++) {
        /* During ins_descset_open, entries not yet filled have no name. */
        if (set->files[i].name && strcmp(set->files[i].name, name) == 0) {
            *idx = i;
            return 0;
        }
    }
    return INS_ENOTFOUND;
}

/*
 * Computes the import closure of `file` with an explicit stack (depth-first,
 * pre-order). `mark` and `stack` are scratch arrays of n_files entries; mark
 * holds the stamp of the last walk that visited a file.
 */
static int build_closure(ins_descset *set, size_t file, size_t *mark, size_t *stack)
{
    size_t stamp = file + 1, sp = 0, n = 0;
    size_t *out = malloc(set->n_files * sizeof(*out));
    if (!out)
        return ENOMEM;
    stack[sp++] = file;
    mark[file] = stamp;
    while (sp > 0) {
        size_t f = stack[--sp];
        out[n++] = f;
        const file_proto *fp = set->fds->file[f];
        /* Push in reverse so imports come out in declaration order. */
        for (size_t i = fp->n_dependency; i-- > 0;) {
            size_t d;
            if (find_file(set, fp->dependency[i], &d) != 0) {
                free(out);
                return INS_EINVAL;
            }
            if (mark[d] != stamp) {
                mark[d] = stamp;
                stack[sp++] = d;
            }
        }
    }
    set->files[file].closure = out;
    set->files[file].n_closure = n;
    return 0;
}

static int cmp_sym(const void *a, const void *b)
{
    return strcmp(((const struct sym_ent *)a)->name, ((const struct sym_ent *)b)->name);
}

int ins_descset_open(const unsigned char *buf, size_t len, ins_descset **out)
{
    size_t *mark = NULL, *stack = NULL;
    int rc;

    *out = NULL;
    ins_descset *set = calloc(1, sizeof(*set));
    if (!set)
        return ENOMEM;
    /* protobuf-c reports parse errors and allocation failures alike. */
    set->fds = google__protobuf__file_descriptor_set__unpack(NULL, len, buf);
    if (!set->fds) {
        rc = INS_EINVAL;
        goto fail;
    }
    set->n_files = set->fds->n_file;
    if (set->n_files > 0) {
        set->files = calloc(set->n_files, sizeof(*set->files));
        mark = calloc(set->n_files, sizeof(*mark));
        stack = calloc(set->n_files, sizeof(*stack));
        if (!set->files || !mark || !stack) {
            rc = ENOMEM;
            goto fail;
        }
    }
    for (size_t i = 0; i < set->n_files; i++) {
        const file_proto *fp = set->fds->file[i];
        size_t dup;
        if (!fp->name || !*fp->name || find_file(set, fp->name, &dup) == 0) {
            rc = INS_EINVAL;
            goto fail;
        }
        struct file_ent *fe = &set->files[i];
        fe->len = google__protobuf__file_descriptor_proto__get_packed_size(fp);
        fe->bytes = malloc(fe->len ? fe->len : 1);
        if (!fe->bytes) {
            rc = ENOMEM;
            goto fail;
        }
        google__protobuf__file_descriptor_proto__pack(fp, fe->bytes);
        fe->name = fp->name; /* only now: find_file above must not see it */
    }
    for (size_t i = 0; i < set->n_files; i++) {
        if ((rc = add_file_symbols(set, i)) != 0)
            goto fail;
        if ((rc = build_closure(set, i, mark, stack)) != 0)
            goto fail;
    }
    if (set->n_syms > 1) {
        qsort(set->syms, set->n_syms, sizeof(*set->syms), cmp_sym);
        for (size_t i = 1; i < set->n_syms; i++) {
            if (strcmp(set->syms[i - 1].name, set->syms[i].name) == 0) {
                rc = INS_EINVAL;
                goto fail;
            }
        }
    }
    free(mark);
    free(stack);
    *out = set;
    return 0;

fail:
    free(mark);
    free(stack);
    ins_descset_free(set);
    return rc;
}

void ins_descset_free(ins_descset *set)
{
    if (!set)
        return;
    for (size_t i = 0; set->files && i < set->n_files; i++) {
        free(set->files[i].bytes);
        free(set->files[i].closure);
    }
    free(set->files);
    for (size_t i = 0; i < set->n_syms; i++)
        free(set->syms[i].name);
    free(set->syms);
    for (size_t i = 0; i < set->n_exts; i++)
        free(set->exts[i].extendee);
    free(set->exts);
    if (set->fds)
        google__protobuf__file_descriptor_set__free_unpacked(set->fds, NULL);
    free(set);
}

size_t ins_descset_file_count(const ins_descset *set)
{
    return set->n_files;
}

int ins_descset_file(const ins_descset *set, const char *name, const unsigned char **bytes,
                     size_t *len)
{
    size_t i;
    if (find_file(set, name, &i) != 0)
        return INS_ENOTFOUND;
    if (bytes)
        *bytes = set->files[i].bytes;
    if (len)
        *len = set->files[i].len;
    return 0;
}

static const struct sym_ent *find_sym(const ins_descset *set, const char *symbol)
{
    symbol = strip_dot(symbol);
    if (!symbol || !*symbol || set->n_syms == 0)
        return NULL;
    struct sym_ent key = {.name = (char *)symbol};
    return bsearch(&key, set->syms, set->n_syms, sizeof(*set->syms), cmp_sym);
}

int ins_descset_file_for_symbol(const ins_descset *set, const char *symbol, const char **filename,
                                ins_descset_kind *kind)
{
    const struct sym_ent *s = find_sym(set, symbol);
    if (!s)
        return INS_ENOTFOUND;
    if (filename)
        *filename = set->files[s->file].name;
    if (kind)
        *kind = s->kind;
    return 0;
}

int ins_descset_file_for_extension(const ins_descset *set, const char *extendee, int32_t number,
                                   const char **filename)
{
    extendee = strip_dot(extendee);
    if (!extendee)
        return INS_ENOTFOUND;
    for (size_t i = 0; i < set->n_exts; i++) {
        if (set->exts[i].number == number && strcmp(set->exts[i].extendee, extendee) == 0) {
            if (filename)
                *filename = set->files[set->exts[i].file].name;
            return 0;
        }
    }
    return INS_ENOTFOUND;
}

int ins_descset_extension_numbers(const ins_descset *set, const char *type, int32_t **nums,
                                  size_t *n)
{
    *nums = NULL;
    *n = 0;
    const struct sym_ent *s = find_sym(set, type);
    if (!s || s->kind != INS_DESCSET_MESSAGE)
        return INS_ENOTFOUND;
    size_t count = 0;
    for (size_t i = 0; i < set->n_exts; i++)
        count += strcmp(set->exts[i].extendee, s->name) == 0;
    if (count == 0)
        return 0;
    int32_t *arr = malloc(count * sizeof(*arr));
    if (!arr)
        return ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < set->n_exts; i++) {
        if (strcmp(set->exts[i].extendee, s->name) == 0)
            arr[k++] = set->exts[i].number;
    }
    *nums = arr;
    *n = count;
    return 0;
}

int ins_descset_files_with_deps(const ins_descset *set, const char *filename,
                                ins_descset_file_fn fn, void *arg)
{
    size_t idx;
    if (find_file(set, filename, &idx) != 0)
        return INS_ENOTFOUND;
    const struct file_ent *fe = &set->files[idx];
    for (size_t i = 0; i < fe->n_closure; i++) {
        const struct file_ent *d = &set->files[fe->closure[i]];
        int rc = fn(arg, d->name, d->bytes, d->len);
        if (rc)
            return rc;
    }
    return 0;
}
