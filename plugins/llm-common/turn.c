/*
 * llm-common/turn.c - one completion call's state (see turn.h).
 */
#include "turn.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define FAIL_MSG_MAX 1024 /* the host's error slot holds as much */

void vbx_llm_turn_reset(vbx_llm_turn *t) {
  vbx_sse_reset(&t->sse);
  vbx_ndjson_reset(&t->nd);
  vbx_blocks_reset(&t->blocks);
  t->done = t->msg_set = 0;
  t->ntools = 0;
  t->stop[0] = t->model[0] = 0;
  memset(&t->usage, 0, sizeof(t->usage));
  memset(&t->err, 0, sizeof(t->err));
}

int vbx_llm_turn_fail(vbx_llm_turn *t, int code, const char *fmt, ...) {
  char msg[FAIL_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  t->msg_set = 1;
  vbx_llm_err_set(&t->err, code, NULL, "%s", msg);
  return t->h->set_error(t->call, code, NULL, "%s", msg);
}

int vbx_llm_turn_text(vbx_llm_turn *t, long key, const char *s, size_t n) {
  int rc = vbx_blocks_text(&t->blocks, key, s, n);
  if (rc || !t->req->on_text || n == 0) return rc;
  t->delivered = 1;
  if (t->req->on_text(t->req->user, s, n) != 0)
    return vbx_llm_turn_fail(t, VBX_E_CANCELLED, "cancelled by the text callback");
  return 0;
}

void vbx_llm_turn_copy(char *dst, size_t cap, const char *src) {
  if (src) snprintf(dst, cap, "%s", src);
}

vbx_json *vbx_llm_turn_object(const vbx_llm_turn *t, const char *data, size_t len) {
  vbx_json *doc = t->h->json_parse(data, len, NULL);
  if (doc && t->h->json_type(doc) != VBX_JSON_OBJECT) {
    t->h->json_decref(doc);
    doc = NULL;
  }
  return doc;
}
