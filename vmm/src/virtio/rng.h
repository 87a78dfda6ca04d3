/*
 * vmm/virtio/rng.h - virtio-rng (device id 4): one request queue whose
 * writable buffers are filled from getrandom(), at most VMM_RNG_MAX_REQ
 * bytes per chain. Created through vmm_virtio_rng_create (virtio.h).
 */
#ifndef VMM_VIRTIO_RNG_H
#define VMM_VIRTIO_RNG_H

#define VMM_RNG_MAX_REQ 4096u

#endif
