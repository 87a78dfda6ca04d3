/*
 * skill-remote/fsio.c - the file operations the cache and the lockfile
 * share: bounded reads, atomic replacement (temp file + rename), directory
 * creation, an flock that honours the call's cancellation; and the digest
 * and clock helpers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "remote.h"
#include "voidbox/protocol/crypto.h"

int rskill_read_file(const char *path, size_t max, char **out, size_t *len, char *msg,
                     size_t msg_len) {
  *out = NULL;
  *len = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    int e = errno;
    snprintf(msg, msg_len, "%s: %s", path, e == ELOOP ? "a symbolic link (refused)" : strerror(e));
    return e == ENOENT ? VBX_E_NOTFOUND : VBX_E_IO;
  }
  int rc = 0;
  char *buf = NULL;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    snprintf(msg, msg_len, "%s: not a regular file", path);
    rc = VBX_E_IO;
    goto out;
  }
  if ((unsigned long long)st.st_size > max) {
    snprintf(msg, msg_len, "%s: %lld bytes, over the %zu-byte limit", path, (long long)st.st_size,
             max);
    rc = VBX_E_TOOBIG;
    goto out;
  }
  size_t want = (size_t)st.st_size, got = 0;
  buf = malloc(want + 1);
  if (buf == NULL) {
    snprintf(msg, msg_len, "out of memory");
    rc = VBX_E_NOMEM;
    goto out;
  }
  while (got < want) {
    ssize_t n = read(fd, buf + got, want - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += (size_t)n;
  }
  if (got != want) {
    snprintf(msg, msg_len, "%s: read failed (the file changed while being read?)", path);
    rc = VBX_E_IO;
    goto out;
  }
  buf[got] = '\0';
  *out = buf;
  *len = got;
  buf = NULL;
out:
  free(buf);
  close(fd);
  return rc;
}

int rskill_write_atomic(const char *dir, const char *name, const void *data, size_t len, char *msg,
                        size_t msg_len) {
  char tmp[4096], dst[4096];
  int a = snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir, name);
  int b = snprintf(dst, sizeof dst, "%s/%s", dir, name);
  if (a < 0 || b < 0 || (size_t)a >= sizeof tmp || (size_t)b >= sizeof dst) {
    snprintf(msg, msg_len, "%.200s/%.100s: path too long", dir, name);
    return VBX_E_TOOBIG;
  }
  int fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0) {
    snprintf(msg, msg_len, "cannot write %s: %s", dst, strerror(errno));
    return VBX_E_IO;
  }
  const char *p = data;
  size_t done = 0;
  int rc = 0, err = 0;
  while (done < len) {
    ssize_t n = write(fd, p + done, len - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = n < 0 ? errno : ENOSPC;
      break;
    }
    done += (size_t)n;
  }
  if (err == 0 && (fchmod(fd, 0644) != 0 || fsync(fd) != 0)) err = errno;
  if (err != 0) {
    snprintf(msg, msg_len, "cannot write %s: %s", tmp, strerror(err));
    rc = VBX_E_IO;
  }
  if (close(fd) != 0 && rc == 0) {
    snprintf(msg, msg_len, "cannot write %s: %s", tmp, strerror(errno));
    rc = VBX_E_IO;
  }
  if (rc == 0 && rename(tmp, dst) != 0) {
    snprintf(msg, msg_len, "cannot replace %s: %s", dst, strerror(errno));
    rc = VBX_E_IO;
  }
  if (rc != 0) unlink(tmp);
  return rc;
}

int rskill_mkdirs(const char *path, char *msg, size_t msg_len) {
  char buf[4096];
  size_t n = strlen(path);
  if (n == 0 || n >= sizeof buf) {
    snprintf(msg, msg_len, "%.200s: bad directory path", path);
    return VBX_E_INVAL;
  }
  memcpy(buf, path, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (buf[i] != '/' && buf[i] != '\0') continue;
    char c = buf[i];
    buf[i] = '\0';
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
      snprintf(msg, msg_len, "cannot create %s: %s", buf, strerror(errno));
      return VBX_E_IO;
    }
    buf[i] = c;
  }
  struct stat st;
  if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
    snprintf(msg, msg_len, "%s: not a directory", path);
    return VBX_E_IO;
  }
  return 0;
}

int rskill_flock(const rskill_env *e, int fd, const char *what) {
  const vbx_host_services *h = e->h;
  for (unsigned waited_ms = 0;; waited_ms += 20) {
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) return 0;
    if (errno != EWOULDBLOCK && errno != EINTR)
      return h->set_error(e->call, VBX_E_IO, NULL, "cannot lock %s: %s", what, strerror(errno));
    if (h->is_cancelled(e->call)) {
      int late = h->deadline_ns(e->call) != 0 && h->monotonic_ns() >= h->deadline_ns(e->call);
      return h->set_error(e->call, late ? VBX_E_TIMEOUT : VBX_E_CANCELLED, NULL,
                          "%s while waiting %u ms for the lock on %s (another voidbox holds it)",
                          late ? "timed out" : "cancelled", waited_ms, what);
    }
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
}

void rskill_sha256_hex(const void *data, size_t len, char hex[65]) {
  static const char digits[] = "0123456789abcdef";
  uint8_t d[VBX_SHA256_DIGEST_SIZE];
  vbx_proto_sha256(data, len, d);
  for (unsigned i = 0; i < VBX_SHA256_DIGEST_SIZE; i++) {
    hex[2 * i] = digits[d[i] >> 4];
    hex[2 * i + 1] = digits[d[i] & 15];
  }
  hex[64] = '\0';
}

void rskill_utc_now(const vbx_host_services *h, char out[32]) {
  time_t t = (time_t)(h->realtime_ns() / 1000000000u);
  struct tm tm;
  if (gmtime_r(&t, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    snprintf(out, 32, "1970-01-01T00:00:00Z");
}
