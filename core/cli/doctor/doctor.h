/*
 * doctor/doctor.h - `voidbox doctor`: what this host can run.
 *
 * Every capability has a stable key (below) and an object
 *   {"available": bool, "detail": "what was found", "reason": "why not"}
 * plus key-specific fields. "reason" is "" when available and a sentence a
 * test can print when it skips because of it. Keys, in order:
 *   kvm_device              /dev/kvm exists and opens read-write
 *   hardware_virtualization the CPU advertises vmx or svm
 *   kvm_hardware            both: a KVM guest runs on hardware virtualization
 *   vhost_vsock             /dev/vhost-vsock opens
 *   qemu                    qemu-system-x86_64 runs (+ "version", "path")
 *   qemu_kvm                QEMU can use -accel kvm (qemu + kvm_hardware)
 *   kvm_backend             the kvm sandbox backend runs directly: kvm_hardware
 *                           and voidbox-vmm beside voidbox (+ "vmm", and
 *                           "nested_runner": scripts/nested-kvm.sh can run
 *                           it under emulation - root, QEMU with -cpu max)
 *   guest_kernel            the image cache has bzImage and vmlinux (+ paths)
 *   guest_initramfs         the image cache has initramfs.cpio (+ path)
 *   cgroup_v2               a cgroup2 mount with controllers (+ "controllers")
 *   cgroup_v1               v1 hierarchies for cpu, memory and pids (+ "controllers")
 *   user_namespaces         unshare(CLONE_NEWUSER) works in a child
 *   net_tun                 /dev/net/tun opens
 * Probes are read-only apart from a short-lived forked child; thread-safe.
 */
#ifndef VBX_DOCTOR_DOCTOR_H
#define VBX_DOCTOR_DOCTOR_H

#include <jansson.h>
#include <stdio.h>

/* Run every probe. cache_dir (may be NULL: the default image cache) is where
 * guest images are looked for. Returns a new JSON document
 *   {"voidbox_version", "host": {"kernel", "machine"}, "cache_dir",
 *    "capabilities": {KEY: {...}, ...}}
 * (caller decrefs), or NULL on allocation failure. */
json_t *vbx__doctor_run(const char *cache_dir);

/* Add capability key to caps with the given state; detail and reason are
 * printf-free strings (NULL: ""). Returns the (borrowed) object so the
 * caller can add fields, or NULL on allocation failure. */
json_t *vbx__doctor_cap(json_t *caps, const char *key, int available, const char *detail,
                        const char *reason);

/* Probe groups (each adds its keys to caps). */
void vbx__doctor_probe_virt(json_t *caps);
void vbx__doctor_probe_host(json_t *caps);
void vbx__doctor_probe_images(json_t *caps, const char *cache_dir);
/* kvm_backend; after the others (it reads kvm_hardware and qemu). */
void vbx__doctor_probe_kvm_backend(json_t *caps);
/* netstack: voidbox-netstack beside voidbox, answering --version. */
void vbx__doctor_probe_netstack(json_t *caps);

/* Human-readable report of a vbx__doctor_run document to out. */
void vbx__doctor_print(const json_t *doc, FILE *out);

#endif
