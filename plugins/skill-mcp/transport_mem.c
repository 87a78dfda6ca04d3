/*
 * skill-mcp/transport_mem.c - a transport over a scripted byte string
 * (mcp_transport.h): reads hand out `in` in the given chunk sizes, writes
 * are collected. For the unit tests and the fuzzer: nothing runs.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mcp_transport.h"

static int mem_write(void *ctx, const char *data, size_t len, uint64_t deadline_ns) {
  vbx_mcp_mem *m = ctx;
  (void)deadline_ns;
  if (m->fail_writes || m->killed) return VBX_E_IO;
  size_t max = m->out_cap_max ? m->out_cap_max : ((size_t)1 << 20);
  if (m->out_len + len > max) len = max - m->out_len; /* capped, silently */
  char *o = realloc(m->out, m->out_len + len + 1);
  if (o == NULL) return VBX_E_NOMEM;
  memcpy(o + m->out_len, data, len);
  m->out = o;
  m->out_len += len;
  o[m->out_len] = '\0';
  return 0;
}

static int mem_read(void *ctx, char *buf, size_t cap, size_t *len, uint32_t timeout_ms) {
  vbx_mcp_mem *m = ctx;
  *len = 0;
  if (m->killed) return 0;
  if (m->in_pos >= m->in_len) {
    if (!m->stall_at_end) return 0;
    uint32_t ms = timeout_ms < m->stall_cap ? timeout_ms : m->stall_cap;
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    return VBX_E_AGAIN;
  }
  size_t n = m->in_len - m->in_pos;
  if (m->chunks != NULL && m->n_chunks > 0) {
    size_t c = m->chunks[m->chunk_i++ % m->n_chunks];
    if (c == 0) c = 1;
    if (c < n) n = c;
  }
  if (n > cap) n = cap;
  memcpy(buf, m->in + m->in_pos, n);
  m->in_pos += n;
  *len = n;
  return 0;
}

static int mem_cancelled(void *ctx) { return ((vbx_mcp_mem *)ctx)->cancel; }

static void mem_describe(void *ctx, char *buf, size_t cap) {
  vbx_mcp_mem *m = ctx;
  const char *s = m->killed ? "killed" : "the script ended";
  size_t n = strlen(s) < cap ? strlen(s) : cap - 1;
  memcpy(buf, s, n);
  buf[n] = '\0';
}

static void mem_kill(void *ctx) { ((vbx_mcp_mem *)ctx)->killed = 1; }

vbx_mcp_transport vbx_mcp_mem_transport(vbx_mcp_mem *m) {
  vbx_mcp_transport t = {m, mem_write, mem_read, mem_cancelled, mem_describe, mem_kill};
  return t;
}

void vbx_mcp_mem_free(vbx_mcp_mem *m) {
  free(m->out);
  m->out = NULL;
  m->out_len = 0;
}
