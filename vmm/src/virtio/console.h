/*
 * vmm/virtio/console.h - virtio-console (device id 3) with
 * VIRTIO_CONSOLE_F_MULTIPORT and two ports: port 0 the console (output to
 * an fd or discarded, no input), port 1 a named port backed by a Unix
 * socket the device connected to as a client. Created through
 * vmm_virtio_console_create (virtio.h).
 *
 * Queues: 0/1 port 0 rx/tx, 2/3 control rx/tx, 4/5 port 1 rx/tx.
 * Bounds: host->guest bytes go from the socket straight into guest rx
 * buffers, read only while the guest has the port open and has buffers;
 * guest->host bytes are written from the guest's tx buffer, which is held
 * (not returned) until the socket took all of it. Nothing is copied into
 * an intermediate buffer, so the device buffers no port data at all.
 */
#ifndef VMM_VIRTIO_CONSOLE_H
#define VMM_VIRTIO_CONSOLE_H

#include <stdint.h>

#define VMM_CONSOLE_NAME_MAX 63u
#define VMM_CONSOLE_F_MULTIPORT 1u

/* A control message (virtio 1.x 5.3.6.2), little-endian. */
typedef struct __attribute__((packed)) vmm_console_ctl {
  uint32_t id;
  uint16_t event, value;
} vmm_console_ctl;

enum {
  VMM_CONSOLE_DEVICE_READY = 0,
  VMM_CONSOLE_DEVICE_ADD = 1,
  VMM_CONSOLE_DEVICE_REMOVE = 2,
  VMM_CONSOLE_PORT_READY = 3,
  VMM_CONSOLE_CONSOLE_PORT = 4,
  VMM_CONSOLE_RESIZE = 5,
  VMM_CONSOLE_PORT_OPEN = 6,
  VMM_CONSOLE_PORT_NAME = 7,
};

#endif
