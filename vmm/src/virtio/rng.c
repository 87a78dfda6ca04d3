/*
 * vmm/virtio/rng.c - virtio-rng (rng.h). Requests are served on the vCPU
 * thread that notifies, under the transport lock.
 */
#include "rng.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>

#include "mmio.h"
#include "voidbox/errors.h"

typedef struct rng_dev {
  vmm_virtio_mmio *m;
  vmm_vq_chain c;
} rng_dev;

static uint32_t fill(const vmm_vq_chain *c) {
  uint8_t buf[256];
  uint32_t want = c->in_len < VMM_RNG_MAX_REQ ? c->in_len : VMM_RNG_MAX_REQ, done = 0;
  while (done < want) {
    size_t n = want - done < sizeof buf ? want - done : sizeof buf;
    ssize_t r = getrandom(buf, n, 0);
    if (r <= 0) {
      if (r < 0 && errno == EINTR) continue;
      break;
    }
    done += vmm_vq_write(c, done, buf, (uint32_t)r);
  }
  return done;
}

static void rng_notify(void *dev, unsigned q) {
  rng_dev *d = dev;
  bool any = false;
  if (q != 0) return;
  for (unsigned n = 0; n < VMM_VQ_MAX_SIZE; n++) {
    if (vmm_virtio_mmio_pop(d->m, 0, &d->c) <= 0) break;
    vmm_vq_push(&d->m->vq[0], d->c.head, fill(&d->c));
    any = true;
  }
  if (any) vmm_virtio_mmio_signal(d->m);
}

static void rng_destroy(void *dev) { free(dev); }

static const vmm_virtio_dev_ops rng_ops = {
    .name = "virtio-rng",
    .device_id = 4,
    .num_queues = 1,
    .queue_max = VMM_VQ_MAX_SIZE,
    .notify = rng_notify,
    .destroy = rng_destroy,
};

int vmm_virtio_rng_create(const vmm_guest_mem *mem, vmm_irq irq, vmm_virtio_mmio **out, char *err,
                          size_t errcap) {
  *out = NULL;
  rng_dev *d = calloc(1, sizeof *d);
  vmm_virtio_mmio *m = d ? vmm_virtio_mmio_new(&rng_ops, d, mem, irq, NULL, 0) : NULL;
  if (m == NULL) {
    free(d);
    snprintf(err, errcap, "virtio-rng: out of memory");
    return VBX_E_NOMEM;
  }
  d->m = m;
  *out = m;
  return 0;
}
