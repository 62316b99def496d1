/*
 * tier_start.c - attaching the photo tier at start-up from the flags
 * (--blob-store, --s3-endpoint, --s3-credentials, --s3-virtual-host,
 * --blob-cache-bytes, --blob-landing-bytes): the configuration is checked,
 * the bucket is checked (HEAD), and any failure stops the start with one
 * sentence that says what is wrong. Never a silent fallback to lmdb.
 *
 * A province shares one bucket: a node of a named district (--district
 * CODE) whose --blob-store names a bucket without a prefix writes under
 * CODE/ (s3://photos on district jinniu means s3://photos/jinniu/), so
 * no two districts' keys meet and `blobs orphans` of one district never
 * lists another's objects. s3://BUCKET/ (a '/' with nothing after it)
 * keeps the bucket's root; the default district keeps it too.
 */
#include "tier_start.h"

#include <stdio.h>
#include <string.h>

#include "ins_district.h"
#include "ins_error.h"
#include "ins_s3.h"
#include "ins_tier.h"

/* True when `url` (s3://BUCKET...) has no '/' after its bucket. */
static int url_has_no_prefix(const char *url)
{
    return strchr(url + strlen("s3://"), '/') == NULL;
}

/* Gives cfg the prefix "DISTRICT/" when the URL names none and the node
 * serves a named district (see the top of this file). */
static void default_prefix(const char *url, const char *district, ins_s3_config *cfg)
{
    if (!district || strcmp(district, INS_DISTRICT_DEFAULT) == 0 || !url_has_no_prefix(url))
        return;
    snprintf(cfg->prefix, sizeof cfg->prefix, "%s/", district);
}

int ins_tier_start_from(const ins_options *o, ins_store *store)
{
    char why[1400];
    ins_s3_config cfg;
    ins_bstore bs;
    if (!o->blob_store || strcmp(o->blob_store, "lmdb") == 0) {
        if (o->s3_endpoint || o->s3_credentials || o->blob_landing_bytes || o->blob_cache_bytes) {
            fprintf(stderr, "inspectd: --s3-endpoint, --s3-credentials, --blob-cache-bytes and "
                            "--blob-landing-bytes need --blob-store s3://BUCKET[/PREFIX]\n");
            return 2;
        }
        return 0;
    }
    int rc = ins_s3_config_parse(o->blob_store, o->s3_endpoint, o->s3_credentials, &cfg, why,
                                 sizeof why);
    if (rc) {
        fprintf(stderr, "inspectd: %s\n", why);
        return 2;
    }
    default_prefix(o->blob_store, o->district, &cfg);
    cfg.virtual_host = o->s3_virtual_host;
    if ((rc = ins_s3_open(&cfg, &bs)) != 0) {
        fprintf(stderr, "inspectd: cannot open the object store: %s\n", ins_strerror(rc));
        return 1;
    }
    if ((rc = ins_s3_check(&bs, why, sizeof why)) != 0) {
        fprintf(stderr, "inspectd: not starting: %s\n", why);
        bs.ops->close(bs.impl);
        return 1;
    }
    char describe[sizeof cfg.bucket + sizeof cfg.prefix + sizeof cfg.endpoint + 16];
    snprintf(describe, sizeof describe, "s3://%s/%s at %s", cfg.bucket, cfg.prefix, cfg.endpoint);
    ins_tier_options to = {.remote = bs,
                           .cache_bytes = o->blob_cache_bytes,
                           .landing_bytes = o->blob_landing_bytes,
                           .describe = describe};
    if ((rc = ins_tier_start(store, &to)) != 0) {
        fprintf(stderr, "inspectd: cannot start the photo tier: %s\n", ins_strerror(rc));
        return 1;
    }
    return 0;
}
