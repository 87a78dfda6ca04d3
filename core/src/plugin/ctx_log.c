/*
 * plugin/ctx_log.c - host->log and host->vlog: a plugin's log lines go to
 * its registry's logger under the plugin's name.
 */
#include <stdarg.h>

#include "plugin/internal.h"
#include "plugin/log.h"

void vbx__ctx_vlog(vbx_plugin_ctx *ctx, vbx_log_level level, const char *fmt, va_list ap) {
  const vbx__logger *log = ctx && ctx->reg ? &ctx->reg->log : NULL;
  vbx__log_vemit(log, level, ctx && ctx->name ? ctx->name : "voidbox", fmt, ap);
}

void vbx__ctx_log(vbx_plugin_ctx *ctx, vbx_log_level level, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vbx__ctx_vlog(ctx, level, fmt, ap);
  va_end(ap);
}
