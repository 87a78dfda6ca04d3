/*
 * model/decl.c - the declarations a box is made of (skills, llm, sandbox):
 * freeing them, and the small validators shared by the builder API and the
 * spec loader.
 */
#include <stdlib.h>
#include <string.h>

#include "model/model_util.h"

void vbx__skill_decl_clear(vbx__skill_decl *s) {
  if (s == NULL) return;
  free(s->type);
  free(s->value);
  vbx__options_clear(&s->options);
  memset(s, 0, sizeof(*s));
}

void vbx__llm_decl_clear(vbx__llm_decl *l) {
  if (l == NULL) return;
  free(l->provider);
  free(l->model);
  free(l->base_url);
  free(l->api_key_env);
  vbx__options_clear(&l->options);
  memset(l, 0, sizeof(*l));
}

static void free_mounts(vbx_mount *m, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free((char *)m[i].host_path);
    free((char *)m[i].guest_path);
  }
  free(m);
}

void vbx__sandbox_decl_clear(vbx__sandbox_decl *s) {
  if (s == NULL) return;
  free(s->backend);
  free(s->network_policy);
  for (size_t i = 0; i < s->n_env; i++)
    free(s->env[i]);
  free(s->env);
  free_mounts(s->mounts, s->n_mounts);
  vbx__options_clear(&s->options);
  memset(s, 0, sizeof(*s));
}

int vbx__str_replace(char **dst, const char *src) {
  char *copy = NULL;
  if (src != NULL && (copy = strdup(src)) == NULL) return VBX_E_NOMEM;
  free(*dst);
  *dst = copy;
  return 0;
}

static int is_type_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

int vbx__skill_type_valid(const char *s) {
  if (s == NULL || *s == '\0') return 0;
  for (; *s; s++)
    if (!is_type_char(*s)) return 0;
  return 1;
}

int vbx__skill_split(const char *text, char **type, char **value) {
  *type = NULL;
  *value = NULL;
  const char *colon = text ? strchr(text, ':') : NULL;
  if (colon == NULL || colon == text) return VBX_E_INVAL;
  for (const char *c = text; c < colon; c++)
    if (!is_type_char(*c)) return VBX_E_INVAL;
  *type = strndup(text, (size_t)(colon - text));
  if (*type == NULL) return VBX_E_NOMEM;
  if (colon[1] != '\0' && (*value = strdup(colon + 1)) == NULL) {
    free(*type);
    *type = NULL;
    return VBX_E_NOMEM;
  }
  return 0;
}

int vbx__env_name_valid(const char *s) {
  if (s == NULL || *s == '\0' || (*s >= '0' && *s <= '9')) return 0;
  for (; *s; s++) {
    char c = *s;
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
      return 0;
  }
  return 1;
}

int vbx__name_valid(const char *s) {
  if (s == NULL || *s == '\0' || strlen(s) > VBX__NAME_MAX) return 0;
  for (; *s; s++) {
    char c = *s;
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '.' || c == '-'))
      return 0;
  }
  return 1;
}

int vbx__sandbox_set_env(vbx__sandbox_decl *s, const char *key, const char *value) {
  size_t klen = strlen(key), vlen = strlen(value);
  char *entry = malloc(klen + vlen + 2);
  if (entry == NULL) return VBX_E_NOMEM;
  memcpy(entry, key, klen);
  entry[klen] = '=';
  memcpy(entry + klen + 1, value, vlen + 1);
  for (size_t i = 0; i < s->n_env; i++)
    if (strncmp(s->env[i], key, klen) == 0 && s->env[i][klen] == '=') {
      free(s->env[i]);
      s->env[i] = entry;
      return 0;
    }
  char **env = realloc(s->env, (s->n_env + 2) * sizeof(*env));
  if (env == NULL) {
    free(entry);
    return VBX_E_NOMEM;
  }
  s->env = env;
  env[s->n_env++] = entry;
  env[s->n_env] = NULL;
  return 0;
}

int vbx__sandbox_set_mounts(vbx__sandbox_decl *s, const vbx_mount *mounts, size_t n) {
  vbx_mount *copy = n ? calloc(n, sizeof(*copy)) : NULL;
  if (n && copy == NULL) return VBX_E_NOMEM;
  for (size_t i = 0; i < n; i++) {
    copy[i].struct_size = sizeof(vbx_mount);
    copy[i].read_only = mounts[i].read_only;
    copy[i].host_path = strdup(mounts[i].host_path ? mounts[i].host_path : "");
    copy[i].guest_path = strdup(mounts[i].guest_path ? mounts[i].guest_path : "");
    if (copy[i].host_path == NULL || copy[i].guest_path == NULL) {
      free_mounts(copy, i + 1);
      return VBX_E_NOMEM;
    }
  }
  free_mounts(s->mounts, s->n_mounts);
  s->mounts = copy;
  s->n_mounts = n;
  return 0;
}

int vbx__box_add_skill(vbx_box *b, vbx__skill_decl *s) {
  vbx__skill_decl *v = realloc(b->skills, (b->n_skills + 1) * sizeof(*v));
  if (v == NULL) return VBX_E_NOMEM;
  b->skills = v;
  v[b->n_skills++] = *s;
  memset(s, 0, sizeof(*s));
  return 0;
}
