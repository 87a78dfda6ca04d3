/*
 * telemetry_msgs.c - TELEMETRY_SUBSCRIBE and TELEMETRY_SAMPLE payloads.
 */
#include <string.h>

#include "internal.h"

static int interval_ok(uint32_t ms) {
  return ms == 0 || (ms >= VBX_PROTO_MIN_TELEMETRY_MS && ms <= VBX_PROTO_MAX_TELEMETRY_MS);
}

/* TELEMETRY_SUBSCRIBE: interval_ms u32 (0 = stop). */
int vbx_proto_encode_telemetry_subscribe(struct vbx_proto_buf *b, uint32_t id,
                                         uint32_t interval_ms) {
  size_t start;
  int rc;

  if (!interval_ok(interval_ms)) return VBX_PROTO_E_INVAL;
  rc = vbx__frame_begin(b, VBX_PROTO_T_TELEMETRY_SUBSCRIBE, id, &start);
  if (rc) return rc;
  vbx__put_u32(b, interval_ms);
  return vbx__frame_end(b, start);
}

int vbx_proto_decode_telemetry_subscribe(const uint8_t *p, size_t len, uint32_t *interval_ms) {
  struct vbx__rd r;

  vbx__rd_init(&r, p, len);
  *interval_ms = vbx__rd_u32(&r);
  if (!r.err && !interval_ok(*interval_ms)) vbx__rd_fail(&r, VBX_PROTO_E_PROTOCOL);
  return vbx__rd_done(&r);
}

/* TELEMETRY_SAMPLE: uptime_ns u64, cpu_usec u64, mem_used_kib u64,
 * mem_total_kib u64, procs u32, reserved u32 = 40 bytes; the extended form
 * (FEAT_TELEMETRY_EXT) appends net_rx_bytes u64, net_tx_bytes u64,
 * open_fds u32, reserved u32 = 64 bytes. */
int vbx_proto_encode_telemetry_sample(struct vbx_proto_buf *b, uint32_t id,
                                      const struct vbx_proto_telemetry_sample *m) {
  size_t start;
  int rc;

  if (!m || m->mem_used_kib > m->mem_total_kib || m->ext > 1) return VBX_PROTO_E_INVAL;
  if (!m->ext && (m->net_rx_bytes || m->net_tx_bytes || m->open_fds)) return VBX_PROTO_E_INVAL;
  rc = vbx__frame_begin(b, VBX_PROTO_T_TELEMETRY_SAMPLE, id, &start);
  if (rc) return rc;
  vbx__put_u64(b, m->uptime_ns);
  vbx__put_u64(b, m->cpu_usec);
  vbx__put_u64(b, m->mem_used_kib);
  vbx__put_u64(b, m->mem_total_kib);
  vbx__put_u32(b, m->procs);
  vbx__put_u32(b, 0);
  if (m->ext) {
    vbx__put_u64(b, m->net_rx_bytes);
    vbx__put_u64(b, m->net_tx_bytes);
    vbx__put_u32(b, m->open_fds);
    vbx__put_u32(b, 0);
  }
  return vbx__frame_end(b, start);
}

int vbx_proto_decode_telemetry_sample(const uint8_t *p, size_t len,
                                      struct vbx_proto_telemetry_sample *m) {
  struct vbx__rd r;

  memset(m, 0, sizeof(*m));
  vbx__rd_init(&r, p, len);
  m->uptime_ns = vbx__rd_u64(&r);
  m->cpu_usec = vbx__rd_u64(&r);
  m->mem_used_kib = vbx__rd_u64(&r);
  m->mem_total_kib = vbx__rd_u64(&r);
  m->procs = vbx__rd_u32(&r);
  vbx__rd_zero(&r, 4);
  if (len == VBX_PROTO_TELEMETRY_SAMPLE_EXT_SIZE) {
    m->ext = 1;
    m->net_rx_bytes = vbx__rd_u64(&r);
    m->net_tx_bytes = vbx__rd_u64(&r);
    m->open_fds = vbx__rd_u32(&r);
    vbx__rd_zero(&r, 4);
  }
  if (!r.err && m->mem_used_kib > m->mem_total_kib) vbx__rd_fail(&r, VBX_PROTO_E_PROTOCOL);
  return vbx__rd_done(&r);
}
