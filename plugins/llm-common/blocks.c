/*
 * llm-common/blocks.c - streamed content accumulator (see blocks.h).
 */
#include "blocks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonh.h"

void vbx_blocks_init(vbx_blocks *bs, const vbx_host_services *h, size_t max_bytes) {
  memset(bs, 0, sizeof(*bs));
  bs->h = h;
  bs->max_bytes = max_bytes;
}

static vbx_block *find(vbx_blocks *bs, vbx_block_kind kind, long key, int create) {
  for (size_t i = 0; i < bs->n; i++)
    if (bs->b[i].kind == kind && bs->b[i].key == key) return &bs->b[i];
  if (!create) return NULL;
  if (bs->n == bs->cap) {
    if (bs->cap >= 4096) return NULL; /* bound the number of blocks */
    size_t c = bs->cap ? bs->cap * 2 : 8;
    vbx_block *nb = realloc(bs->b, c * sizeof(*nb));
    if (!nb) return NULL;
    bs->b = nb;
    bs->cap = c;
  }
  vbx_block *b = &bs->b[bs->n++];
  memset(b, 0, sizeof(*b));
  b->kind = kind;
  b->key = key;
  return b;
}

static int add_text(vbx_blocks *bs, vbx_block *b, const char *s, size_t n) {
  if (bs->total + n > bs->max_bytes) return VBX_E_TOOBIG;
  bs->total += n;
  return vbx__strbuf_append(&b->text, s, n);
}

int vbx_blocks_text(vbx_blocks *bs, long key, const char *s, size_t n) {
  vbx_block *b = find(bs, VBX_BLOCK_TEXT, key, 1);
  if (!b) return VBX_E_NOMEM;
  return add_text(bs, b, s, n);
}

static int set_str(char **dst, const char *s) {
  if (!s) return 0;
  char *c = strdup(s);
  if (!c) return VBX_E_NOMEM;
  free(*dst);
  *dst = c;
  return 0;
}

int vbx_blocks_tool(vbx_blocks *bs, long key, const char *id, const char *name) {
  vbx_block *b = find(bs, VBX_BLOCK_TOOL, key, 1);
  if (!b) return VBX_E_NOMEM;
  if (set_str(&b->id, id) || set_str(&b->name, name)) return VBX_E_NOMEM;
  return 0;
}

int vbx_blocks_tool_json(vbx_blocks *bs, long key, const char *s, size_t n) {
  vbx_block *b = find(bs, VBX_BLOCK_TOOL, key, 1);
  if (!b) return VBX_E_NOMEM;
  return add_text(bs, b, s, n);
}

int vbx_blocks_tool_input(vbx_blocks *bs, long key, const vbx_json *input) {
  vbx_block *b = find(bs, VBX_BLOCK_TOOL, key, 1);
  if (!b) return VBX_E_NOMEM;
  if (b->input) bs->h->json_decref(b->input);
  b->input = bs->h->json_incref((vbx_json *)input);
  return b->input ? 0 : VBX_E_NOMEM;
}

size_t vbx_blocks_tools(const vbx_blocks *bs) {
  size_t k = 0;
  for (size_t i = 0; i < bs->n; i++)
    k += bs->b[i].kind == VBX_BLOCK_TOOL;
  return k;
}

static int build_tool(vbx_blocks *bs, vbx_lj *j, vbx_block *b, vbx_json *arr, vbx_call *call) {
  const vbx_host_services *h = bs->h;
  vbx_json *input = NULL;
  if (!b->name || !*b->name)
    return h->set_error(call, VBX_E_PROVIDER, NULL, "tool call #%ld has no name", b->key);
  if (b->input) {
    input = h->json_incref(b->input);
  } else if (b->text.len == 0) {
    input = h->json_object_new();
  } else {
    input = h->json_parse(b->text.data, b->text.len, NULL);
    if (!input || h->json_type(input) != VBX_JSON_OBJECT) {
      if (input) h->json_decref(input);
      return h->set_error(call, VBX_E_PROVIDER, NULL,
                          "malformed JSON in the input of tool call '%s': %.120s", b->name,
                          b->text.data);
    }
  }
  vbx_json *o = vbx_lj_obj(j);
  vbx_lj_set(j, o, "type", vbx_lj_str(j, "tool_use"));
  char gen[64];
  if (!b->id || !*b->id) snprintf(gen, sizeof(gen), "toolu_vbx_%ld", b->key);
  vbx_lj_set(j, o, "id", vbx_lj_str(j, b->id && *b->id ? b->id : gen));
  vbx_lj_set(j, o, "name", vbx_lj_str(j, b->name));
  vbx_lj_set(j, o, "input", input);
  vbx_lj_push(j, arr, o);
  return j->failed ? h->set_error(call, VBX_E_NOMEM, NULL, "out of memory") : 0;
}

int vbx_blocks_build(vbx_blocks *bs, vbx_json **out, vbx_call *call) {
  vbx_lj j = {bs->h, 0};
  vbx_json *arr = vbx_lj_arr(&j);
  int rc = 0;
  if (!arr) return bs->h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  for (size_t i = 0; i < bs->n && !rc; i++) {
    vbx_block *b = &bs->b[i];
    if (b->kind == VBX_BLOCK_TEXT) {
      if (b->text.len == 0) continue;
      vbx_json *o = vbx_lj_obj(&j);
      vbx_lj_set(&j, o, "type", vbx_lj_str(&j, "text"));
      vbx_lj_set(&j, o, "text", bs->h->json_string_new(b->text.data, b->text.len));
      vbx_lj_push(&j, arr, o);
      if (j.failed) rc = bs->h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
    } else {
      rc = build_tool(bs, &j, b, arr, call);
    }
  }
  if (rc) {
    bs->h->json_decref(arr);
    return rc;
  }
  *out = arr;
  return 0;
}

void vbx_blocks_reset(vbx_blocks *bs) {
  for (size_t i = 0; i < bs->n; i++) {
    free(bs->b[i].id);
    free(bs->b[i].name);
    vbx__strbuf_reset(&bs->b[i].text);
    if (bs->b[i].input) bs->h->json_decref(bs->b[i].input);
  }
  bs->n = 0;
  bs->total = 0;
}

void vbx_blocks_free(vbx_blocks *bs) {
  vbx_blocks_reset(bs);
  free(bs->b);
  bs->b = NULL;
  bs->cap = 0;
}
