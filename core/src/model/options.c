/*
 * model/options.c - plugin-options blocks: a JSON object of extra keys plus
 * the file position of each key.
 */
#include <stdlib.h>
#include <string.h>

#include "model/model_util.h"

void vbx__options_clear(vbx__options *o) {
  if (o == NULL) return;
  json_decref(o->obj);
  for (size_t i = 0; i < o->n_keys; i++)
    free(o->keys[i].key);
  free(o->keys);
  memset(o, 0, sizeof(*o));
}

const vbx__pos *vbx__options_pos(const vbx__options *o, const char *field) {
  if (o == NULL || field == NULL) return NULL;
  for (size_t i = 0; i < o->n_keys; i++)
    if (strcmp(o->keys[i].key, field) == 0) return &o->keys[i].pos;
  return NULL;
}

/* Index of key in o->keys, or n_keys when absent. */
static size_t key_index(const vbx__options *o, const char *key) {
  size_t i = 0;
  while (i < o->n_keys && strcmp(o->keys[i].key, key) != 0)
    i++;
  return i;
}

int vbx__options_set(vbx__options *o, const char *key, json_t *value, const vbx__pos *pos) {
  int rc = VBX_E_NOMEM;
  if (value == NULL) return VBX_E_NOMEM;
  if (o->obj == NULL && (o->obj = json_object()) == NULL) goto out;
  size_t i = key_index(o, key);
  if (pos != NULL && i == o->n_keys) {
    vbx__keypos *k = realloc(o->keys, (o->n_keys + 1) * sizeof(*k));
    if (k == NULL) goto out;
    o->keys = k;
    if ((k[i].key = strdup(key)) == NULL) goto out;
    o->n_keys++;
  }
  if (json_object_set(o->obj, key, value) != 0) goto out;
  if (pos != NULL)
    o->keys[i].pos = *pos;
  else if (i < o->n_keys) {
    /* A builder value replaces a positioned one: the old position no
     * longer describes it. */
    free(o->keys[i].key);
    memmove(&o->keys[i], &o->keys[i + 1], (o->n_keys - i - 1) * sizeof(*o->keys));
    o->n_keys--;
  }
  rc = 0;
out:
  json_decref(value);
  return rc;
}

int vbx__options_merge(vbx__options *dst, const vbx__options *src) {
  if (src->obj == NULL) return 0;
  const char *key;
  json_t *v;
  json_object_foreach(src->obj, key, v) {
    int rc = vbx__options_set(dst, key, json_deep_copy(v), vbx__options_pos(src, key));
    if (rc != 0) return rc;
  }
  return 0;
}
