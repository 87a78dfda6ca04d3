/*
 * sandbox-mock/telem.c - the mock's telemetry method: figures computed from
 * the sandbox's own state, identical on every run (docs/mock.md
 * "Telemetry"). Sample k (1, 2, ... per sandbox) reports:
 *   cpu_usec      = 1000 * k
 *   mem_total_kib = memory_mb * 1024 (512 MiB when memory_mb is 0)
 *   mem_used_kib  = 16384 + ceil(in-memory file bytes / 1024), <= total
 *   procs         = 1
 *   time_ns       = 1e9 * k
 */
#include <string.h>

#include "mock.h"

#define MOCK_DEFAULT_MEM_KIB (512u * 1024u)
#define MOCK_BASE_USED_KIB 16384u

int mock_telemetry(void *sandbox, vbx_sandbox_telemetry *out, vbx_call *call) {
  mock_sandbox *sb = sandbox;
  const vbx_host_services *h = sb->st->host;
  int rc = 0;
  if (out == NULL || out->struct_size < sizeof(uint32_t)) {
    rc = h->set_error(call, VBX_E_INVAL, NULL, "mock telemetry: out->struct_size is not set");
    goto done;
  }
  if (h->is_cancelled(call)) {
    rc = h->set_error(call, VBX_E_CANCELLED, NULL, "mock telemetry cancelled");
    goto done;
  }
  uint64_t k = ++sb->n_samples;
  vbx_sandbox_telemetry t = {.struct_size = sizeof t};
  t.mem_total_kib = sb->memory_mb ? (uint64_t)sb->memory_mb * 1024u : MOCK_DEFAULT_MEM_KIB;
  t.mem_used_kib = MOCK_BASE_USED_KIB + (sb->fs.total + 1023u) / 1024u;
  if (t.mem_used_kib > t.mem_total_kib) t.mem_used_kib = t.mem_total_kib;
  t.cpu_usec = 1000u * k;
  t.procs = 1;
  t.time_ns = 1000000000ull * k;
  size_t n = out->struct_size < sizeof t ? out->struct_size : sizeof t;
  memcpy((char *)out + sizeof(uint32_t), (char *)&t + sizeof(uint32_t), n - sizeof(uint32_t));
done:
  if (sb->opt.record != NULL) {
    vbx_json *o = h->json_object_new();
    h->json_object_set(o, "sample", h->json_integer_new((int64_t)sb->n_samples));
    h->json_object_set(o, "rc", h->json_integer_new(rc));
    int r = mock_record(sb, "telemetry", o, rc == 0 ? call : NULL);
    if (rc == 0) rc = r;
  }
  return rc;
}
