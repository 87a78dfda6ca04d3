/*
 * llm-common/pricing.h - per-model token prices and the cost of a turn.
 *
 * The pricing file is JSON: {"models": {"MODEL": {"input": USD, "output":
 * USD, "cache_read": USD, "cache_write": USD}, ...}} with prices in US
 * dollars per million tokens (missing cache prices are 0). A model matches
 * an entry exactly, or by the longest entry that is a prefix of it followed
 * by '-', ':' or '@' ("claude-sonnet-4-5-20250929" uses "claude-sonnet-4-5").
 *
 * Where the file is found, first hit wins: the `pricing_file` option
 * (relative to the spec directory), $VOIDBOX_PRICING_FILE, the copy in the
 * tree the plugin lives in (core/layout: BUILD/share/voidbox/pricing.json in
 * a build tree, PREFIX/share/voidbox/pricing.json installed; never the
 * other tree's). A file named by the option or the environment that cannot
 * be read or parsed is an error naming it; when the tree has no copy, every
 * cost is 0 and a warning is logged once.
 *
 * Ownership: a vbx_pricing owns its entries (malloc). Lookups do not
 * allocate; the "unknown model" warning flag makes vbx_pricing_cost not
 * thread-safe for one table (one provider instance = one thread).
 */
#ifndef VBX_LLM_PRICING_H
#define VBX_LLM_PRICING_H

#include <stddef.h>

#include "voidbox/plugin.h"

#define VBX_PRICING_MAX_BYTES ((size_t)1 << 20)

typedef struct vbx_price {
  double input, output, cache_read, cache_write; /* USD per million tokens */
} vbx_price;

typedef struct vbx_price_entry {
  char *model;
  vbx_price price;
} vbx_price_entry;

typedef struct vbx_pricing {
  char *path; /* file used, or NULL when none */
  vbx_price_entry *entries;
  size_t n;
  int warned; /* one-time warning already logged */
} vbx_pricing;

/* Load the pricing table (search order above). opt_path may be NULL;
 * spec_dir (may be NULL) resolves a relative opt_path. */
int vbx_pricing_load(const vbx_host_services *h, const char *opt_path, const char *spec_dir,
                     vbx_pricing *out, vbx_call *call);
/* Parse a pricing document from text; `name` labels errors. */
int vbx_pricing_parse(const vbx_host_services *h, const char *text, size_t len, const char *name,
                      vbx_pricing *out, vbx_call *call);
/* The entry for model, or NULL. */
const vbx_price *vbx_pricing_find(const vbx_pricing *p, const char *model);
/* Cost in USD of a usage; unknown model: 0 and one warning log per table. */
double vbx_pricing_cost(const vbx_host_services *h, vbx_pricing *p, const char *model,
                        const vbx_llm_usage *u);
void vbx_pricing_free(vbx_pricing *p);

#endif
