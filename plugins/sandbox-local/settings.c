/*
 * sandbox-local/settings.c - the backend's host settings ("--set key=value"
 * or VOIDBOX_LOCAL_* in the environment), read once at plugin init:
 *
 *   local.uid_base    first uid/gid given to boxes   (default 2000000000)
 *   local.uid_count   how many                       (default 65536)
 *   local.run_dir     runtime directory              (default /run/voidbox-local)
 *   local.readonly    auto | mountinfo               (default auto: mount_setattr
 *                     when the kernel has it; mountinfo: always walk the mounts)
 *
 * A bad value fails the plugin's load with a message naming the key: a box
 * must never run under ids or in a directory the operator did not mean.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "local.h"

static int get_u32(const local_state *st, const char *key, uint32_t def, uint64_t lo, uint64_t hi,
                   uint32_t *out) {
  const vbx_host_services *h = st->host;
  const char *v = h->config_get(h->ctx, key);
  *out = def;
  if (v == NULL || v[0] == '\0') return 0;
  char *end;
  errno = 0;
  unsigned long long n = strtoull(v, &end, 10);
  if (errno != 0 || *end != '\0' || v[0] == '-' || n < lo || n > hi)
    return h->set_error(NULL, VBX_E_SPEC, key,
                        "host setting %s = '%s' must be an integer in "
                        "%llu..%llu",
                        key, v, (unsigned long long)lo, (unsigned long long)hi);
  *out = (uint32_t)n;
  return 0;
}

int local_settings_read(local_state *st) {
  const vbx_host_services *h = st->host;
  int rc = get_u32(st, "local.uid_base", LOCAL_UID_BASE_DEFAULT, 1, 4294967294u, &st->uid_base);
  if (rc == 0)
    rc = get_u32(st, "local.uid_count", LOCAL_UID_COUNT_DEFAULT, 1, 1u << 24, &st->uid_count);
  if (rc != 0) return rc;
  uint64_t last = (uint64_t)st->uid_base + st->uid_count - 1;
  if (last > 4294967294u || (st->uid_base <= 65535 && last >= 65534))
    return h->set_error(NULL, VBX_E_SPEC, "local.uid_base",
                        "host settings local.uid_base = %u, local.uid_count = %u: the range "
                        "%u..%llu must stay below 4294967295 and must not hold 65534 (nobody) "
                        "or 65535",
                        st->uid_base, st->uid_count, st->uid_base, (unsigned long long)last);
  const char *rd = h->config_get(h->ctx, "local.run_dir");
  if (rd == NULL || rd[0] == '\0') rd = LOCAL_RUN_DIR_DEFAULT;
  if (rd[0] != '/' || strlen(rd) >= 200 || strstr(rd, "/../") || strcmp(rd, "/") == 0)
    return h->set_error(NULL, VBX_E_SPEC, "local.run_dir",
                        "host setting local.run_dir = '%s' must be an absolute path of at most "
                        "199 bytes without '..'",
                        rd);
  snprintf(st->run_dir, sizeof st->run_dir, "%s", rd);
  const char *ro = h->config_get(h->ctx, "local.readonly");
  if (ro != NULL && ro[0] != '\0' && strcmp(ro, "auto") != 0 && strcmp(ro, "mountinfo") != 0)
    return h->set_error(NULL, VBX_E_SPEC, "local.readonly",
                        "host setting local.readonly = '%s' must be 'auto' or 'mountinfo'", ro);
  st->ro_walk = ro != NULL && strcmp(ro, "mountinfo") == 0;
  /* mount_setattr(2) (Linux 5.12): EBADF for a bad fd when present */
  st->have_setattr = !(syscall(SYS_mount_setattr, -1, "", 0, NULL, 0) != 0 && errno == ENOSYS);
  uint32_t seed = 0;
  if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != sizeof seed) seed = (uint32_t)getpid();
  st->next_uid = seed % st->uid_count; /* processes start apart in the range */
  return 0;
}
