/*
 * model/box.c - allocating and freeing boxes, and the sticky builder error.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_util.h"

vbx_box *vbx__box_alloc(const char *name) {
  vbx_box *b = calloc(1, sizeof(*b));
  if (b == NULL) return NULL;
  b->name = strdup(name ? name : "");
  b->base_dir = strdup(".");
  b->sandbox.backend = strdup("mock");
  if (b->name == NULL || b->base_dir == NULL || b->sandbox.backend == NULL) {
    vbx_box_free(b);
    return NULL;
  }
  b->sandbox.memory_mb = 512;
  b->sandbox.vcpus = 1;
  b->sandbox.network = 0;
  b->sandbox.timeout_secs = 0;
  b->sandbox.disk_mb = VBX__DEFAULT_DISK_MB;
  b->max_turns = 10;
  b->timeout_secs = 0;
  return b;
}

void vbx_box_free(vbx_box *box) {
  if (box == NULL) return;
  free(box->name);
  free(box->prompt);
  for (size_t i = 0; i < box->n_skills; i++)
    vbx__skill_decl_clear(&box->skills[i]);
  free(box->skills);
  vbx__llm_decl_clear(&box->llm);
  vbx__sandbox_decl_clear(&box->sandbox);
  free(box->output_file);
  free(box->base_dir);
  free(box->error);
  free(box);
}

/* Format into a malloc'd string (NULL on OOM). */
static char *vformat(const char *fmt, va_list ap) {
  char buf[1024];
  vsnprintf(buf, sizeof(buf), fmt, ap);
  return strdup(buf);
}

int vbx__box_fail(vbx_box *b, int code, const char *fmt, ...) {
  if (b == NULL || b->error_code != 0) return code;
  b->error_code = code;
  va_list ap;
  va_start(ap, fmt);
  b->error = vformat(fmt, ap); /* on OOM the code alone is kept */
  va_end(ap);
  return code;
}

int vbx__pipeline_fail(vbx_pipeline *p, int code, const char *fmt, ...) {
  if (p == NULL || p->error_code != 0) return code;
  p->error_code = code;
  va_list ap;
  va_start(ap, fmt);
  p->error = vformat(fmt, ap);
  va_end(ap);
  return code;
}
