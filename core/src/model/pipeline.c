/*
 * model/pipeline.c - pipelines: the owned box list, stages that borrow from
 * it, and the pipeline half of the C builder API (voidbox.h).
 */
#include <stdlib.h>
#include <string.h>

#include "model/model_util.h"
#include "util/strbuf.h"

vbx_pipeline *vbx__pipeline_alloc(const char *name) {
  vbx_pipeline *p = calloc(1, sizeof(*p));
  if (p == NULL) return NULL;
  p->name = strdup(name ? name : "");
  p->kind = strdup("pipeline");
  p->spec_dir = strdup(".");
  if (p->name == NULL || p->kind == NULL || p->spec_dir == NULL) {
    vbx_pipeline_free(p);
    return NULL;
  }
  return p;
}

VBX_API void vbx_pipeline_free(vbx_pipeline *p) {
  if (p == NULL) return;
  for (size_t i = 0; i < p->n_boxes; i++)
    vbx_box_free(p->boxes[i]);
  free(p->boxes);
  for (size_t i = 0; i < p->n_stages; i++) {
    free(p->stages[i].name);
    free(p->stages[i].boxes);
  }
  free(p->stages);
  free(p->name);
  free(p->kind);
  free(p->spec_path);
  free(p->spec_dir);
  json_decref(p->observe);
  vbx__options_clear(&p->observe_opts);
  free(p->error);
  free(p);
}

static int owns(const vbx_pipeline *p, const vbx_box *box) {
  for (size_t i = 0; i < p->n_boxes; i++)
    if (p->boxes[i] == box) return 1;
  return 0;
}

int vbx__pipeline_add_box(vbx_pipeline *p, vbx_box *box) {
  if (owns(p, box)) return 0;
  vbx_box **v = realloc(p->boxes, (p->n_boxes + 1) * sizeof(*v));
  if (v == NULL) {
    vbx_box_free(box);
    return VBX_E_NOMEM;
  }
  p->boxes = v;
  v[p->n_boxes++] = box;
  return 0;
}

vbx_box *vbx__pipeline_find_box(const vbx_pipeline *p, const char *name) {
  if (p == NULL || name == NULL) return NULL;
  for (size_t i = 0; i < p->n_boxes; i++)
    if (p->boxes[i]->name != NULL && strcmp(p->boxes[i]->name, name) == 0) return p->boxes[i];
  return NULL;
}

int vbx__pipeline_add_stage(vbx_pipeline *p, vbx_box **boxes, size_t n, int is_fan_out,
                            vbx__pos pos) {
  vbx__strbuf sb = VBX__STRBUF_INIT;
  if (is_fan_out) vbx__strbuf_puts(&sb, "fan_out[");
  for (size_t i = 0; i < n; i++)
    vbx__strbuf_printf(&sb, "%s%s", i ? "," : "", boxes[i]->name ? boxes[i]->name : "");
  if (is_fan_out) vbx__strbuf_puts(&sb, "]");
  char *name = vbx__strbuf_take(&sb);
  vbx_box **copy = n ? malloc(n * sizeof(*copy)) : NULL;
  vbx__stage *v = NULL;
  if (name == NULL || (n && copy == NULL)) goto fail;
  v = realloc(p->stages, (p->n_stages + 1) * sizeof(*v));
  if (v == NULL) goto fail;
  p->stages = v;
  if (n) memcpy(copy, boxes, n * sizeof(*copy));
  vbx__stage *s = &v[p->n_stages++];
  memset(s, 0, sizeof(*s));
  s->name = name;
  s->boxes = copy;
  s->n_boxes = n;
  s->is_fan_out = is_fan_out;
  s->fail_fast = 1;
  s->pos = pos;
  return 0;
fail:
  free(name);
  free(copy);
  return VBX_E_NOMEM;
}

VBX_API vbx_pipeline *vbx_pipeline_named(const char *name) {
  vbx_pipeline *p = vbx__pipeline_alloc(name);
  if (p == NULL) return NULL;
  if (name == NULL)
    vbx__pipeline_fail(p, VBX_E_INVAL, "vbx_pipeline_named: name is NULL");
  else if (!vbx__name_valid(name))
    vbx__pipeline_fail(p, VBX_E_INVAL,
                       "invalid pipeline name '%.200s' (1 to %d of A-Z a-z 0-9 _ . -)", name,
                       VBX__NAME_MAX);
  return p;
}

/* Take ownership of box for p, checking its name and inheriting its sticky
 * error. Returns 0 when the box may be staged. */
static int adopt(vbx_pipeline *p, vbx_box *box) {
  vbx_box *same = vbx__pipeline_find_box(p, box->name);
  if (same != NULL && same != box) {
    vbx__pipeline_fail(p, VBX_E_EXISTS, "duplicate box name '%.200s'", box->name);
    if (vbx__pipeline_add_box(p, box) != 0) vbx__pipeline_fail(p, VBX_E_NOMEM, "out of memory");
    return VBX_E_EXISTS;
  }
  if (box->error_code != 0)
    vbx__pipeline_fail(p, box->error_code, "box '%.200s': %.700s", box->name,
                       box->error ? box->error : vbx_strerror(box->error_code));
  int rc = vbx__pipeline_add_box(p, box);
  if (rc != 0) vbx__pipeline_fail(p, rc, "out of memory");
  return rc;
}

VBX_API vbx_pipeline *vbx_pipeline_pipe(vbx_pipeline *p, vbx_box *box) {
  if (p == NULL) {
    vbx_box_free(box);
    return NULL;
  }
  if (box == NULL) {
    vbx__pipeline_fail(p, VBX_E_INVAL, "vbx_pipeline_pipe: box is NULL");
    return p;
  }
  if (adopt(p, box) != 0) return p;
  vbx__pos none = {NULL, 0, 0};
  if (vbx__pipeline_add_stage(p, &box, 1, 0, none) != 0)
    vbx__pipeline_fail(p, VBX_E_NOMEM, "out of memory");
  return p;
}

VBX_API vbx_pipeline *vbx_pipeline_fail_fast(vbx_pipeline *p, int on) {
  if (p == NULL) return NULL;
  if (p->n_stages == 0 || !p->stages[p->n_stages - 1].is_fan_out)
    vbx__pipeline_fail(p, VBX_E_INVAL, "vbx_pipeline_fail_fast: the last stage is not a fan_out");
  else
    p->stages[p->n_stages - 1].fail_fast = on != 0;
  return p;
}

VBX_API vbx_pipeline *vbx_pipeline_max_parallel(vbx_pipeline *p, unsigned n) {
  if (p == NULL) return NULL;
  if (n > VBX_MAX_PARALLEL_LIMIT)
    vbx__pipeline_fail(p, VBX_E_INVAL, "vbx_pipeline_max_parallel: %u is over %u", n,
                       (unsigned)VBX_MAX_PARALLEL_LIMIT);
  else
    p->max_parallel = n;
  return p;
}

/* 1 when boxes[i] also appears before index i. */
static int seen_before(vbx_box *const *boxes, size_t i) {
  for (size_t j = 0; j < i; j++)
    if (boxes[j] == boxes[i]) return 1;
  return 0;
}

VBX_API vbx_pipeline *vbx_pipeline_fan_out(vbx_pipeline *p, vbx_box *const *boxes, size_t n) {
  if (p == NULL) {
    for (size_t i = 0; boxes && i < n; i++)
      if (!seen_before(boxes, i)) vbx_box_free(boxes[i]);
    return NULL;
  }
  if (boxes == NULL || n == 0) {
    vbx__pipeline_fail(p, VBX_E_INVAL, "vbx_pipeline_fan_out: no boxes");
    return p;
  }
  int ok = 1;
  for (size_t i = 0; i < n; i++) {
    if (boxes[i] == NULL) {
      vbx__pipeline_fail(p, VBX_E_INVAL, "vbx_pipeline_fan_out: box %zu is NULL", i);
      ok = 0;
    } else if (seen_before(boxes, i)) {
      vbx__pipeline_fail(p, VBX_E_EXISTS, "box '%.200s' appears twice in one fan_out",
                         boxes[i]->name);
      ok = 0;
    } else if (adopt(p, boxes[i]) != 0) {
      ok = 0;
    }
  }
  vbx__pos none = {NULL, 0, 0};
  if (ok && vbx__pipeline_add_stage(p, (vbx_box **)boxes, n, 1, none) != 0)
    vbx__pipeline_fail(p, VBX_E_NOMEM, "out of memory");
  return p;
}
