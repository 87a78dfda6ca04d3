/*
 * tests/unit/mocks/fixture.c - see fixture.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"

void fx_open(fx *f, const char *file, vbx__kind kind, const char *name) {
  vbx_error err = {0};
  char path[512];
  memset(f, 0, sizeof *f);
  snprintf(path, sizeof path, "%s/%s", VBX_TEST_PLUGIN_DIR, file);
  vbx__logger log = {VBX_LOG_WARN, NULL, NULL, 0};
  assert_int_equal(vbx__registry_new(&log, NULL, &f->reg), 0);
  int rc = vbx__registry_load(f->reg, path, &err);
  if (rc != 0) fail_msg("loading %s: %s", path, err.message);
  vbx__registry_freeze(f->reg);
  f->impl = vbx__registry_find(f->reg, kind, name);
  assert_non_null(f->impl);
  f->host = vbx__plugin_host(f->impl->plugin);
  assert_non_null(f->host);
  snprintf(f->tmpdir, sizeof f->tmpdir, "/tmp/vbx-mocks-XXXXXX");
  assert_non_null(mkdtemp(f->tmpdir));
}

void fx_close(fx *f) {
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->tmpdir);
  assert_int_equal(system(cmd), 0);
  vbx__registry_free(f->reg);
  f->reg = NULL;
}

vbx_json *fx_json(const fx *f, const char *text) {
  vbx_call c;
  fx_call(&c);
  vbx_json *v = f->host->json_parse(text, strlen(text), &c);
  if (v == NULL) fail_msg("bad test JSON: %s: %s", text, c.message);
  return v;
}

void fx_call(vbx_call *c) { vbx__call_init(c, NULL, NULL, 0); }

char *fx_read_file(const char *path) {
  FILE *fp = fopen(path, "rb");
  if (fp == NULL) return NULL;
  char *buf = NULL;
  size_t len = 0, cap = 0;
  char tmp[4096];
  size_t n;
  while ((n = fread(tmp, 1, sizeof tmp, fp)) > 0) {
    if (len + n + 1 > cap) {
      cap = (len + n + 1) * 2;
      buf = realloc(buf, cap);
      assert_non_null(buf);
    }
    memcpy(buf + len, tmp, n);
    len += n;
  }
  fclose(fp);
  if (buf == NULL)
    buf = calloc(1, 1);
  else
    buf[len] = '\0';
  return buf;
}

void fx_write_file(const char *path, const char *text) {
  FILE *fp = fopen(path, "wb");
  assert_non_null(fp);
  assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
  fclose(fp);
}

int fx_count(const char *hay, const char *needle) {
  int n = 0;
  for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
    n++;
  return n;
}

int fx_skill_create(const fx *f, const char *type, const char *value, const char *opts, void **out,
                    vbx_call *c) {
  const vbx_skill_type_vtable *vt = f->impl->vtable;
  vbx_skill_config cfg = {.struct_size = sizeof cfg};
  vbx_json *o = opts ? fx_json(f, opts) : NULL;
  cfg.type = type;
  cfg.value = value;
  cfg.options = o;
  cfg.box_name = "box";
  cfg.spec_dir = f->tmpdir;
  fx_call(c);
  *out = NULL;
  int rc = vt->create(f->impl->plugin_state, &cfg, c, out);
  vbx_call c2; /* validate agrees with create */
  fx_call(&c2);
  assert_int_equal(vt->validate(f->impl->plugin_state, &cfg, &c2), rc);
  if (rc != 0) assert_string_equal(c2.message, c->message);
  if (o) f->host->json_decref(o);
  return rc;
}
