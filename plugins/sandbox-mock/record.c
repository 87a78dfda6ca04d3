/*
 * sandbox-mock/record.c - the call record: every create, exec, file_write,
 * file_read and destroy of a sandbox with the `record` option is appended
 * as one JSON line to the record file, in call order (docs/mock.md lists
 * the fields).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "mock.h"

int mock_record(mock_sandbox *sb, const char *op, vbx_json *obj, vbx_call *call) {
  const vbx_host_services *h = sb->st->host;
  int rc = 0;
  char *line = NULL;
  if (sb->opt.record == NULL) {
    if (obj != NULL) h->json_decref(obj);
    return 0;
  }
  if (obj == NULL) goto nomem;
  /* The first keys of a line are op, box and sandbox id. */
  vbx_json *o = h->json_object_new();
  if (o == NULL) goto nomem;
  h->json_object_set(o, "op", h->json_string_new(op, strlen(op)));
  h->json_object_set(o, "box", h->json_string_new(sb->box_name, strlen(sb->box_name)));
  h->json_object_set(o, "sandbox", h->json_integer_new((int64_t)sb->id));
  vbx_json *v;
  const char *key;
  for (size_t i = 0; (key = h->json_object_key_at(obj, i, &v)) != NULL; i++)
    h->json_object_set(o, key, h->json_incref(v));
  h->json_decref(obj);
  obj = o;
  line = h->json_dump(obj);
  if (line == NULL) goto nomem;
  size_t len = strlen(line);
  line[len] = '\n'; /* replaced NUL; written with explicit length */
  pthread_mutex_lock(&sb->st->record_lock);
  int fd = open(sb->opt.record, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  int err = 0;
  if (fd < 0) {
    err = errno;
  } else {
    ssize_t w = write(fd, line, len + 1);
    if (w != (ssize_t)(len + 1)) err = w < 0 ? errno : EIO;
    close(fd);
  }
  pthread_mutex_unlock(&sb->st->record_lock);
  if (err != 0 && call != NULL)
    rc = h->set_error(call, VBX_E_IO, "record", "cannot append to record file %s: %s",
                      sb->opt.record, strerror(err));
  else if (err != 0)
    h->log(h->ctx, VBX_LOG_ERROR, "cannot append to record file %s: %s", sb->opt.record,
           strerror(err));
  goto out;
nomem:
  rc = call ? h->set_error(call, VBX_E_NOMEM, NULL, "out of memory while recording") : 0;
out:
  h->free(line);
  if (obj != NULL) h->json_decref(obj);
  return rc;
}
