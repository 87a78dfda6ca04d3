/*
 * vmm/virtio/mmio.c - the virtio-mmio v2 transport (mmio.h): the register
 * file, feature negotiation, status and queue setup.
 */
#include "mmio.h"

#include <stdlib.h>
#include <string.h>

#define R_MAGIC 0x000
#define R_VERSION 0x004
#define R_DEVICE_ID 0x008
#define R_VENDOR_ID 0x00c
#define R_DEV_FEATURES 0x010
#define R_DEV_FEATURES_SEL 0x014
#define R_DRV_FEATURES 0x020
#define R_DRV_FEATURES_SEL 0x024
#define R_QUEUE_SEL 0x030
#define R_QUEUE_NUM_MAX 0x034
#define R_QUEUE_NUM 0x038
#define R_QUEUE_READY 0x044
#define R_QUEUE_NOTIFY 0x050
#define R_INT_STATUS 0x060
#define R_INT_ACK 0x064
#define R_STATUS 0x070
#define R_QUEUE_DESC_LO 0x080
#define R_QUEUE_DESC_HI 0x084
#define R_QUEUE_DRIVER_LO 0x090
#define R_QUEUE_DRIVER_HI 0x094
#define R_QUEUE_DEVICE_LO 0x0a0
#define R_QUEUE_DEVICE_HI 0x0a4
#define R_CONFIG_GEN 0x0fc
#define R_CONFIG 0x100

#define MMIO_MAGIC 0x74726976u  /* "virt" */
#define MMIO_VENDOR 0x56425856u /* "VXBV" */

#define ISR_USED 1u
#define ISR_CONFIG 2u

vmm_virtio_mmio *vmm_virtio_mmio_new(const vmm_virtio_dev_ops *ops, void *dev,
                                     const vmm_guest_mem *mem, vmm_irq irq, const uint8_t *config,
                                     uint32_t config_len) {
  vmm_virtio_mmio *m = calloc(1, sizeof *m);
  if (m == NULL) return NULL;
  pthread_mutex_init(&m->mu, NULL);
  m->ops = ops, m->dev = dev, m->mem = *mem, m->irq = irq;
  m->config = config, m->config_len = config_len;
  for (unsigned i = 0; i < VMM_VIRTIO_MAX_QUEUES; i++)
    vmm_vq_reset(&m->vq[i], ops->queue_max);
  return m;
}

void vmm_virtio_mmio_lock(vmm_virtio_mmio *m) { pthread_mutex_lock(&m->mu); }
void vmm_virtio_mmio_unlock(vmm_virtio_mmio *m) { pthread_mutex_unlock(&m->mu); }

static bool running(const vmm_virtio_mmio *m) {
  return (m->status & VMM_VIRTIO_S_DRIVER_OK) && !(m->status & VMM_VIRTIO_S_NEEDS_RESET) &&
         !(m->status & VMM_VIRTIO_S_FAILED);
}

vmm_vq *vmm_virtio_mmio_queue(vmm_virtio_mmio *m, unsigned q) {
  if (q >= m->ops->num_queues || !running(m)) return NULL;
  vmm_vq *v = &m->vq[q];
  return v->ready && !v->broken ? v : NULL;
}

static void needs_reset(vmm_virtio_mmio *m) {
  if (m->status & VMM_VIRTIO_S_NEEDS_RESET) return;
  m->status |= VMM_VIRTIO_S_NEEDS_RESET;
  m->isr |= ISR_CONFIG;
  vmm_irq_raise(&m->irq);
}

int vmm_virtio_mmio_pop(vmm_virtio_mmio *m, unsigned q, vmm_vq_chain *c) {
  vmm_vq *v = vmm_virtio_mmio_queue(m, q);
  if (v == NULL) return 0;
  int rc = vmm_vq_pop(v, &m->mem, c);
  if (rc < 0) needs_reset(m);
  return rc;
}

void vmm_virtio_mmio_signal(vmm_virtio_mmio *m) {
  m->isr |= ISR_USED;
  vmm_irq_raise(&m->irq);
}

void vmm_virtio_mmio_config_changed(vmm_virtio_mmio *m) {
  m->config_gen++;
  m->isr |= ISR_CONFIG;
  vmm_irq_raise(&m->irq);
}

bool vmm_virtio_mmio_has_feature(const vmm_virtio_mmio *m, unsigned bit) {
  return bit < 64 && (m->driver_features >> bit) & 1;
}

static uint64_t offered(const vmm_virtio_mmio *m) {
  return m->ops->features | VMM_VIRTIO_F_VERSION_1;
}

static void reset(vmm_virtio_mmio *m) {
  m->status = 0, m->isr = 0;
  m->dev_feat_sel = m->drv_feat_sel = m->queue_sel = 0;
  m->driver_features = 0;
  for (unsigned i = 0; i < VMM_VIRTIO_MAX_QUEUES; i++)
    vmm_vq_reset(&m->vq[i], m->ops->queue_max);
  if (m->ops->reset) m->ops->reset(m->dev);
}

static void write_status(vmm_virtio_mmio *m, uint32_t v) {
  if (v == 0) {
    reset(m);
    return;
  }
  uint32_t old = m->status;
  /* FEATURES_OK is kept only for a subset of what was offered that
   * includes VERSION_1 (no legacy drivers). */
  if ((v & VMM_VIRTIO_S_FEATURES_OK) && !(old & VMM_VIRTIO_S_FEATURES_OK)) {
    if (!(m->driver_features & VMM_VIRTIO_F_VERSION_1) || (m->driver_features & ~offered(m)))
      v &= ~VMM_VIRTIO_S_FEATURES_OK;
  }
  /* DRIVER_OK needs FEATURES_OK. */
  if ((v & VMM_VIRTIO_S_DRIVER_OK) && !(v & VMM_VIRTIO_S_FEATURES_OK)) v &= ~VMM_VIRTIO_S_DRIVER_OK;
  m->status = v | (old & VMM_VIRTIO_S_NEEDS_RESET);
  if ((v & VMM_VIRTIO_S_DRIVER_OK) && !(old & VMM_VIRTIO_S_DRIVER_OK) && m->ops->driver_ok)
    m->ops->driver_ok(m->dev);
}

static vmm_vq *sel_queue(vmm_virtio_mmio *m) {
  return m->queue_sel < m->ops->num_queues ? &m->vq[m->queue_sel] : NULL;
}

static void set_lo(uint64_t *x, uint32_t v) { *x = (*x & ~0xffffffffull) | v; }
static void set_hi(uint64_t *x, uint32_t v) { *x = (*x & 0xffffffffull) | ((uint64_t)v << 32); }

static uint32_t reg_read(vmm_virtio_mmio *m, uint64_t off) {
  vmm_vq *q = sel_queue(m);
  switch (off) {
  case R_MAGIC: return MMIO_MAGIC;
  case R_VERSION: return 2;
  case R_DEVICE_ID: return m->ops->device_id;
  case R_VENDOR_ID: return MMIO_VENDOR;
  case R_DEV_FEATURES:
    return m->dev_feat_sel < 2 ? (uint32_t)(offered(m) >> (32 * m->dev_feat_sel)) : 0;
  case R_QUEUE_NUM_MAX: return q ? m->ops->queue_max : 0;
  case R_QUEUE_READY: return q ? q->ready : 0;
  case R_INT_STATUS: return m->isr;
  case R_STATUS: return m->status;
  case R_CONFIG_GEN: return m->config_gen;
  default: return 0;
  }
}

/* Queue registers may change only while the queue is not ready. */
static void queue_write(vmm_virtio_mmio *m, uint64_t off, uint32_t v) {
  vmm_vq *q = sel_queue(m);
  if (q == NULL) return;
  if (off == R_QUEUE_READY) {
    if (v == 0) {
      q->ready = false;
    } else if (!q->ready && vmm_vq_activate(q, &m->mem, m->ops->queue_max) != 0) {
      needs_reset(m);
    }
    return;
  }
  if (q->ready) return;
  switch (off) {
  case R_QUEUE_NUM: q->size = (uint16_t)(v > 0xffff ? 0 : v); break;
  case R_QUEUE_DESC_LO: set_lo(&q->desc_gpa, v); break;
  case R_QUEUE_DESC_HI: set_hi(&q->desc_gpa, v); break;
  case R_QUEUE_DRIVER_LO: set_lo(&q->avail_gpa, v); break;
  case R_QUEUE_DRIVER_HI: set_hi(&q->avail_gpa, v); break;
  case R_QUEUE_DEVICE_LO: set_lo(&q->used_gpa, v); break;
  case R_QUEUE_DEVICE_HI: set_hi(&q->used_gpa, v); break;
  default: break;
  }
}

static void reg_write(vmm_virtio_mmio *m, uint64_t off, uint32_t v) {
  switch (off) {
  case R_DEV_FEATURES_SEL: m->dev_feat_sel = v; break;
  case R_DRV_FEATURES_SEL: m->drv_feat_sel = v; break;
  case R_DRV_FEATURES:
    if (m->drv_feat_sel < 2 && !(m->status & VMM_VIRTIO_S_FEATURES_OK)) {
      if (m->drv_feat_sel == 0)
        set_lo(&m->driver_features, v);
      else
        set_hi(&m->driver_features, v);
    }
    break;
  case R_QUEUE_SEL: m->queue_sel = v; break;
  case R_QUEUE_NOTIFY:
    if (v < m->ops->num_queues && running(m) && m->ops->notify) m->ops->notify(m->dev, v);
    break;
  case R_INT_ACK: m->isr &= ~v; break;
  case R_STATUS: write_status(m, v); break;
  default: queue_write(m, off, v); break;
  }
}

void vmm_virtio_mmio_access(void *ctx, uint64_t offset, uint8_t *data, uint32_t len,
                            bool is_write) {
  vmm_virtio_mmio *m = ctx;
  pthread_mutex_lock(&m->mu);
  if (offset >= R_CONFIG) {
    uint64_t o = offset - R_CONFIG;
    if (is_write) goto out; /* config space is read-only here */
    memset(data, 0, len);
    if (o < m->config_len && len <= m->config_len - o) memcpy(data, m->config + o, len);
    goto out;
  }
  if (len != 4 || (offset & 3)) {
    if (!is_write) memset(data, 0, len);
    goto out;
  }
  if (is_write) {
    uint32_t v;
    memcpy(&v, data, 4);
    reg_write(m, offset, v);
  } else {
    uint32_t v = reg_read(m, offset);
    memcpy(data, &v, 4);
  }
out:
  pthread_mutex_unlock(&m->mu);
}

void vmm_virtio_mmio_destroy(vmm_virtio_mmio *m) {
  if (m == NULL) return;
  if (m->ops->destroy) m->ops->destroy(m->dev);
  pthread_mutex_destroy(&m->mu);
  free(m);
}
