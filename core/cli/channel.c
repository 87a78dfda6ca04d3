/*
 * channel.c - frames between a supervised run's worker and its parent (see
 * channel.h).
 */
#include "channel.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "run/result.h"

size_t vbx__ch_max_payload(unsigned type) {
  switch (type) {
  case VBX_CH_LOADED: return 0;
  case VBX_CH_LOAD_ERROR:
  case VBX_CH_RUN_ERROR:
  case VBX_CH_TRACE: return 8u * 1024u;
  case VBX_CH_STREAM: return 65535u + VBX_CH_STREAM_CHUNK;
  case VBX_CH_EVENT: return 64u * 1024u;
  case VBX_CH_BOX_DONE:
  case VBX_CH_REPORT: return VBX__REPORT_MAX;
  default: return 0;
  }
}

void vbx__ch_writer_init(vbx__ch_writer *w, int fd) {
  w->fd = fd;
  w->broken = 0;
  pthread_mutex_init(&w->mu, NULL);
}

static int write_iov(int fd, struct iovec *iov, int n) {
  while (n > 0) {
    ssize_t w = writev(fd, iov, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    size_t left = (size_t)w;
    while (n > 0 && left >= iov->iov_len) {
      left -= iov->iov_len;
      iov++, n--;
    }
    if (n > 0) {
      iov->iov_base = (char *)iov->iov_base + left;
      iov->iov_len -= left;
    }
  }
  return 0;
}

int vbx__ch_send(vbx__ch_writer *w, unsigned type, unsigned a, unsigned b, const void *p1,
                 size_t n1, const void *p2, size_t n2) {
  if (n1 + n2 > vbx__ch_max_payload(type) ||
      (n1 + n2 == 0 && type != VBX_CH_LOADED && vbx__ch_max_payload(type) == 0))
    return -1;
  vbx__ch_header h = {(uint8_t)type, (uint8_t)a, (uint16_t)b, (uint32_t)(n1 + n2)};
  struct iovec iov[3] = {{&h, sizeof(h)}, {(void *)p1, n1}, {(void *)p2, n2}};
  pthread_mutex_lock(&w->mu);
  int rc = -1;
  if (!w->broken) {
    rc = write_iov(w->fd, iov, 3);
    if (rc != 0) w->broken = 1;
  }
  pthread_mutex_unlock(&w->mu);
  return rc;
}

void vbx__ch_decoder_init(vbx__ch_decoder *d) { memset(d, 0, sizeof(*d)); }

void vbx__ch_decoder_free(vbx__ch_decoder *d) {
  free(d->payload);
  memset(d, 0, sizeof(*d));
}

/* Check the header in d->hdr into d->h. 0, or -1 for an unknown type or
 * a length over its bound. */
static int check_header(vbx__ch_decoder *d) {
  memcpy(&d->h, d->hdr, sizeof(d->h));
  if (d->h.type == 0 || d->h.type > VBX_CH_TYPE_MAX || d->h.len > vbx__ch_max_payload(d->h.type))
    return -1;
  if (d->h.type == VBX_CH_STREAM && d->h.b > d->h.len) return -1;
  return 0;
}

int vbx__ch_feed(vbx__ch_decoder *d, const uint8_t *data, size_t n, vbx__ch_frame_fn fn,
                 void *user) {
  for (;;) {
    if (d->have_hdr < VBX_CH_HEADER) {
      if (n == 0) return 0;
      size_t take = VBX_CH_HEADER - d->have_hdr;
      if (take > n) take = n;
      memcpy(d->hdr + d->have_hdr, data, take);
      d->have_hdr += take, data += take, n -= take;
      if (d->have_hdr < VBX_CH_HEADER) return 0;
      if (check_header(d) != 0) return -1;
      if (d->h.len <= n) { /* the whole payload is here: no copy */
        const uint8_t *payload = data;
        data += d->h.len, n -= d->h.len;
        d->have_hdr = 0;
        int rc = fn(user, &d->h, payload);
        if (rc != 0) return rc;
        continue;
      }
      d->payload = malloc(d->h.len ? d->h.len : 1);
      if (d->payload == NULL) return -1;
      d->have = 0;
    }
    size_t take = d->h.len - d->have;
    if (take > n) take = n;
    if (take) memcpy(d->payload + d->have, data, take);
    d->have += take, data += take, n -= take;
    if (d->have < d->h.len) return 0;
    int rc = fn(user, &d->h, d->payload);
    free(d->payload);
    d->payload = NULL;
    d->have_hdr = 0;
    if (rc != 0) return rc;
  }
}
