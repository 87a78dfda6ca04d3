/*
 * sandbox-mock/plugin.c - the plugin descriptor and the "mock" sandbox
 * backend vtable: create/destroy and the file calls; exec is in exec.c.
 * The mock runs nothing for real (VBX_SANDBOX_IS_SIMULATED); see
 * docs/mock.md.
 */
#include <stdlib.h>
#include <string.h>

#include "mock.h"

static int mock_validate(void *state, const vbx_json *options, vbx_call *call) {
  mock_state *st = state;
  mock_options o;
  int rc = mock_options_parse(st->host, options, NULL, &o, call);
  if (rc == 0) mock_options_clear(&o);
  return rc;
}

static void free_sandbox(mock_sandbox *sb) {
  mock_options_clear(&sb->opt);
  mock_fs_free(&sb->fs);
  free(sb->box_name);
  free(sb);
}

static int mock_create(void *state, const vbx_sandbox_config *cfg, vbx_call *call, void **out) {
  mock_state *st = state;
  const vbx_host_services *h = st->host;
  int rc = 0;
  *out = NULL;
  mock_sandbox *sb = calloc(1, sizeof *sb);
  if (sb == NULL) return h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  sb->st = st;
  sb->memory_mb = cfg->memory_mb;
  sb->box_name = strdup(cfg->box_name ? cfg->box_name : "");
  if (sb->box_name == NULL) {
    rc = h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
    goto fail;
  }
  rc = mock_options_parse(h, cfg->options, cfg->spec_dir, &sb->opt, call);
  if (rc != 0) goto fail;
  pthread_mutex_lock(&st->lock);
  sb->id = ++st->next_id;
  pthread_mutex_unlock(&st->lock);
  if (sb->opt.record != NULL) {
    vbx_json *o = h->json_object_new(), *env = h->json_array_new();
    for (size_t i = 0; cfg->env != NULL && cfg->env[i] != NULL; i++)
      h->json_array_append(env, h->json_string_new(cfg->env[i], strlen(cfg->env[i])));
    h->json_object_set(o, "memory_mb", h->json_integer_new(cfg->memory_mb));
    h->json_object_set(o, "vcpus", h->json_integer_new(cfg->vcpus));
    h->json_object_set(o, "network", h->json_bool_new(cfg->network));
    h->json_object_set(o, "timeout_secs", h->json_integer_new(cfg->timeout_secs));
    h->json_object_set(o, "env", env);
    h->json_object_set(o, "n_mounts", h->json_integer_new((int64_t)cfg->n_mounts));
    h->json_object_set(o, "rc", h->json_integer_new(0));
    rc = mock_record(sb, "create", o, call);
    if (rc != 0) goto fail;
  }
  *out = sb;
  return 0;
fail:
  free_sandbox(sb);
  return rc;
}

static void mock_destroy(void *sandbox) {
  mock_sandbox *sb = sandbox;
  if (sb == NULL) return;
  const vbx_host_services *h = sb->st->host;
  if (sb->opt.record != NULL) {
    vbx_json *o = h->json_object_new();
    h->json_object_set(o, "files", h->json_integer_new((int64_t)sb->fs.n));
    mock_record(sb, "destroy", o, NULL);
  }
  free_sandbox(sb);
}

static int mock_file_write(void *sandbox, const char *path, const void *data, size_t len,
                           uint32_t mode, vbx_call *call) {
  mock_sandbox *sb = sandbox;
  const vbx_host_services *h = sb->st->host;
  int rc = 0;
  char *p = NULL;
  if (h->is_cancelled(call)) {
    rc = h->set_error(call, VBX_E_CANCELLED, NULL, "mock file_write cancelled");
    goto done;
  }
  p = path != NULL ? mock_path_norm(NULL, path) : NULL;
  if (p == NULL) {
    rc = h->set_error(call, VBX_E_INVAL, NULL, "mock file_write: invalid path");
    goto done;
  }
  if (data == NULL && len > 0) {
    rc = h->set_error(call, VBX_E_INVAL, NULL, "mock file_write: NULL data");
    goto done;
  }
  rc = mock_fs_write(&sb->fs, p, data, len, mode, 0);
  if (rc == VBX_E_LIMIT)
    h->set_error(call, rc, NULL, "mock file_write %s: the in-memory file system is full (%u bytes)",
                 p, MOCK_FS_LIMIT);
  else if (rc == VBX_E_INVAL)
    h->set_error(call, rc, NULL, "mock file_write %s: is a directory", p);
  else if (rc != 0)
    h->set_error(call, rc, NULL, "out of memory");
done:
  if (sb->opt.record != NULL) {
    vbx_json *o = h->json_object_new();
    h->json_object_set(o, "path", h->json_string_new(path ? path : "", path ? strlen(path) : 0));
    h->json_object_set(o, "mode", h->json_integer_new(mode));
    h->json_object_set(o, "len", h->json_integer_new((int64_t)len));
    h->json_object_set(o, "data", data ? h->json_string_new(data, len) : h->json_null_new());
    h->json_object_set(o, "rc", h->json_integer_new(rc));
    int r = mock_record(sb, "file_write", o, rc == 0 ? call : NULL);
    if (rc == 0) rc = r;
  }
  free(p);
  return rc;
}

static int mock_file_read(void *sandbox, const char *path, size_t max_len, char **out,
                          size_t *out_len, vbx_call *call) {
  mock_sandbox *sb = sandbox;
  const vbx_host_services *h = sb->st->host;
  int rc = 0;
  size_t len = 0;
  *out = NULL;
  *out_len = 0;
  char *p = path != NULL ? mock_path_norm(NULL, path) : NULL;
  mock_file *f = p != NULL ? mock_fs_find(&sb->fs, p) : NULL;
  if (h->is_cancelled(call)) {
    rc = h->set_error(call, VBX_E_CANCELLED, NULL, "mock file_read cancelled");
  } else if (p == NULL) {
    rc = h->set_error(call, VBX_E_INVAL, NULL, "mock file_read: invalid path");
  } else if (f == NULL) {
    rc = h->set_error(call, VBX_E_NOTFOUND, NULL, "mock file_read %s: no such file", p);
  } else if (max_len != 0 && f->len > max_len) {
    rc = h->set_error(call, VBX_E_TOOBIG, NULL, "mock file_read %s: %zu bytes, over the %zu limit",
                      p, f->len, max_len);
  } else {
    char *s = h->alloc(f->len + 1);
    if (s == NULL) {
      rc = h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
    } else {
      memcpy(s, f->data, f->len);
      *out = s;
      *out_len = len = f->len;
    }
  }
  if (sb->opt.record != NULL) {
    vbx_json *o = h->json_object_new();
    h->json_object_set(o, "path", h->json_string_new(path ? path : "", path ? strlen(path) : 0));
    h->json_object_set(o, "max_len", h->json_integer_new((int64_t)max_len));
    h->json_object_set(o, "len", h->json_integer_new((int64_t)len));
    h->json_object_set(o, "rc", h->json_integer_new(rc));
    int r = mock_record(sb, "file_read", o, rc == 0 ? call : NULL);
    if (rc == 0 && r != 0) {
      h->free(*out);
      *out = NULL;
      *out_len = 0;
      rc = r;
    }
  }
  free(p);
  return rc;
}

static const vbx_sandbox_backend_vtable mock_vtable = {
    .struct_size = sizeof(vbx_sandbox_backend_vtable),
    .name = "mock",
    .description = "deterministic simulated sandbox: scripted commands, in-memory files",
    .flags = VBX_SANDBOX_IS_SIMULATED,
    .validate_options = mock_validate,
    .create = mock_create,
    .destroy = mock_destroy,
    .exec = mock_exec,
    .file_write = mock_file_write,
    .file_read = mock_file_read,
    .telemetry = mock_telemetry,
};

static int mock_init(const vbx_host_services *host, const vbx_registrar *reg, void **state) {
  mock_state *st = calloc(1, sizeof *st);
  if (st == NULL) return VBX_E_NOMEM;
  st->host = host;
  pthread_mutex_init(&st->lock, NULL);
  pthread_mutex_init(&st->record_lock, NULL);
  int rc = reg->register_sandbox_backend(reg->reg, &mock_vtable);
  if (rc != 0) {
    pthread_mutex_destroy(&st->lock);
    pthread_mutex_destroy(&st->record_lock);
    free(st);
    return rc;
  }
  *state = st;
  return 0;
}

static void mock_fini(void *state) {
  mock_state *st = state;
  if (st == NULL) return;
  mock_barrier_free_all(st);
  pthread_mutex_destroy(&st->lock);
  pthread_mutex_destroy(&st->record_lock);
  free(st);
}

VBX_PLUGIN_DEFINE("sandbox-mock", "0.1.0", "Apache-2.0",
                  "simulated sandbox backend \"mock\" for tests and demos", mock_init, mock_fini)
