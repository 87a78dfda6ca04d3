/*
 * decoder.c - incremental stream decoder: bytes in, whole frames out. The
 * header is validated (including the length bound) before any payload byte
 * is stored or any storage allocated.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void vbx_proto_decoder_init(struct vbx_proto_decoder *d, uint32_t max_payload, void *storage,
                            size_t storage_cap) {
  memset(d, 0, sizeof(*d));
  if (max_payload == 0 || max_payload > VBX_PROTO_MAX_PAYLOAD) max_payload = VBX_PROTO_MAX_PAYLOAD;
  if (storage) {
    d->store = storage;
    d->store_cap = storage_cap;
    if (storage_cap < max_payload) max_payload = (uint32_t)storage_cap;
  } else {
    d->owned = 1;
  }
  d->max_payload = max_payload;
}

void vbx_proto_decoder_fini(struct vbx_proto_decoder *d) {
  if (d->owned) free(d->store);
  d->store = NULL;
  d->store_cap = 0;
  d->hdr_have = 0;
  d->have = 0;
}

size_t vbx_proto_decoder_pending(const struct vbx_proto_decoder *d) {
  return d->hdr_have + d->have;
}

/* ensure_store - room for one payload of n bytes (n already bounded by
 * max_payload). Owned storage grows to exactly what the frame needs. */
static int ensure_store(struct vbx_proto_decoder *d, size_t n) {
  uint8_t *p;

  if (n <= d->store_cap) return 0;
  if (!d->owned) return VBX_PROTO_E_TOOBIG; /* caller storage of 0 bytes */
  p = realloc(d->store, n);
  if (!p) return VBX_PROTO_E_NOMEM;
  d->store = p;
  d->store_cap = n;
  return 0;
}

static void emit(struct vbx_proto_decoder *d, const uint8_t *payload, struct vbx_proto_frame *out) {
  out->hdr = d->cur;
  out->payload = d->cur.length ? payload : NULL;
  d->hdr_have = 0;
  d->have = 0;
}

int vbx_proto_decoder_feed(struct vbx_proto_decoder *d, const uint8_t *data, size_t len,
                           size_t *consumed, struct vbx_proto_frame *out) {
  size_t used = 0, k;
  int rc = 0;

  if (!d || !consumed || !out || (!data && len)) {
    if (consumed) *consumed = 0;
    return VBX_PROTO_E_INVAL;
  }
  if (d->error) {
    rc = d->error;
    goto done;
  }
  /* Fast path: a whole frame at the start of data, nothing buffered. */
  if (d->hdr_have == 0 && len >= VBX_PROTO_HEADER_SIZE) {
    size_t flen;
    rc = vbx_proto_frame_parse(data, len, d->max_payload, out, &flen);
    if (rc == 0) {
      used = flen;
      goto done;
    }
    if (rc != VBX_PROTO_E_AGAIN) goto fail;
    rc = 0;
  }
  if (d->hdr_have < VBX_PROTO_HEADER_SIZE) {
    k = VBX_PROTO_HEADER_SIZE - d->hdr_have;
    if (k > len) k = len;
    if (k) memcpy(d->hdr + d->hdr_have, data, k);
    d->hdr_have += k;
    used += k;
    if (d->hdr_have < VBX_PROTO_HEADER_SIZE) {
      rc = VBX_PROTO_E_AGAIN;
      goto done;
    }
    rc = vbx_proto_header_parse(d->hdr, d->max_payload, &d->cur);
    if (rc) goto fail;
    rc = ensure_store(d, d->cur.length);
    if (rc) goto fail;
    d->have = 0;
  }
  k = d->cur.length - d->have;
  if (k > len - used) k = len - used;
  if (k) memcpy(d->store + d->have, data + used, k);
  d->have += k;
  used += k;
  if (d->have < d->cur.length) {
    rc = VBX_PROTO_E_AGAIN;
    goto done;
  }
  emit(d, d->store, out);
  rc = 0;
  goto done;
fail:
  d->error = rc;
done:
  *consumed = used;
  return rc;
}
