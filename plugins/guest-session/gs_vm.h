/*
 * guest-session/gs_vm.h - what the micro-VM backends (`qemu`: QEMU microvm,
 * `kvm`: our own voidbox-vmm) share around the box skeleton (gs_box.h):
 *
 *   plugin   the plugin instance: its state (box counter, swept work
 *            roots), init (register, sweep), fini - gs_vm_plugin.c
 *   config   the refusals of a box's config both share and the VM's size
 *            with its defaults - gs_vm_config.c
 *   box      a fresh box in create: allocated with the skeleton, its
 *            identity, size and number, its directory's name, the log line
 *            when it is up - gs_vm_box.c
 *   image    the guest kernel and base initramfs of `voidbox image build`
 *            (options, else the image cache) - gs_vm_image.c
 *   initrd   the per-box initrd: a copy of the base initramfs followed by
 *            a second newc archive with the agent's arguments (its --listen
 *            endpoint, --disk-mb), the policy, the session secret and
 *            workspace/ - gs_vm_initrd.c
 *   console  the tail of a log file and the guest's "Kernel panic" line,
 *            for error messages - gs_console.c
 *   death    the message for a VM that is gone: the monitor's exit status,
 *            its last stderr lines, the panic line, the console tail -
 *            gs_vm_why.c
 *   kvm      whether /dev/kvm is a hardware KVM - gs_vm_kvm.c
 *   spawn    the monitor process and the box's helpers: their stderr log,
 *            their own session, death with voidbox; listening sockets -
 *            gs_vm_spawn.c
 *   launch   the boot wait (the monitor's exit, cancellation, deadlines),
 *            the error naming why the VM is gone, and the handshake once a
 *            stream to the agent is reached - gs_vm_launch.c
 *   mounts   the config's mounts and the host userland as read-only 9p
 *            shares (checked and resolved before anything is made) -
 *            gs_vm_mounts.c; what the host userland adds to the per-box
 *            archive (/lib links, /etc/ld.so.cache, /etc/alternatives) -
 *            gs_vm_userland.c
 *
 * Threads: none shared; every function may be called from any thread,
 * except where its comment names the box's creating thread.
 */
#ifndef VBX_GS_VM_H
#define VBX_GS_VM_H

#include <stddef.h>
#include <stdint.h>

#include "gs_box.h"
#include "policy.h"
#include "voidbox/plugin.h"

/* ---- the plugin instance (gs_vm_plugin.c) -------------------------------- */
/* A VM backend's plugin state, one per loaded plugin, shared by its boxes. */
typedef struct gs_vm_state {
  const vbx_host_services *host;
  const gs_box_ops *ops; /* the backend's: dir_prefix and proc_file of the sweep */
  pthread_mutex_t lock;  /* next_box */
  unsigned long next_box;
  gs_swept swept; /* work roots swept by this process */
} gs_vm_state;

/* gs_vm_plugin_init - a VM backend's plugin init: a fresh gs_vm_state
 * into *state (host, vt and ops borrowed: they outlive the plugin), vt
 * registered with reg, then the default work root (gs_work_root(NULL))
 * swept of the ops->dir_prefix directories dead voidbox processes left. 0,
 * or VBX_E_NOMEM / the registrar's code with nothing left. Threads: the
 * host's init call. */
int gs_vm_plugin_init(const vbx_host_services *host, const vbx_registrar *reg,
                      const vbx_sandbox_backend_vtable *vt, const gs_box_ops *ops, void **state);
/* gs_vm_plugin_fini - free a gs_vm_plugin_init state (NULL: nothing); no
 * box of it may be left. Threads: the host's fini call. */
void gs_vm_plugin_fini(void *state);
/* gs_vm_sweep - gs_sweep_once of root (borrowed) with the backend's
 * dir_prefix and proc_file. Any thread. */
void gs_vm_sweep(gs_vm_state *st, const char *root);
/* gs_vm_next_box - the next box number of this plugin instance (1, 2,
 * ...). Any thread. */
unsigned long gs_vm_next_box(gs_vm_state *st);

/* ---- a box's config (gs_vm_config.c) ------------------------------------- */
#define GS_VM_MAX_VCPUS 8 /* CONFIG_NR_CPUS of guest/image/kernel.config */
#define GS_VM_MIN_MEMORY_MB 64u
#define GS_VM_DEFAULT_MEMORY_MB 256u
#define GS_VM_DEFAULT_DISK_MB 256u /* the spec's default (docs/spec.md) */
#define GS_VM_MAX_DISK_MB 1048576u

/* The VM of a box. */
typedef struct gs_vm_size {
  uint32_t memory_mb, vcpus;
  uint32_t disk_mb; /* the guest's tmpfs for /tmp, /var/tmp and /workspace; the VM
                       gets memory_mb + disk_mb of RAM so that it fits */
} gs_vm_size;

/* gs_vm_config_check - what both VM backends refuse of cfg, in this order:
 * vcpus over GS_VM_MAX_VCPUS, memory_mb under GS_VM_MIN_MEMORY_MB, disk_mb
 * over GS_VM_MAX_DISK_MB (VBX_E_SPEC, field the key). backend names it in
 * the message ("kvm"). Mounts are each backend's own: qemu shares them
 * (gs_vm_mounts_plan), kvm refuses them. 0 or the code set on call. */
int gs_vm_config_check(const vbx_host_services *h, const char *backend,
                       const vbx_sandbox_config *cfg, vbx_call *call);
/* gs_vm_config_size - cfg's memory_mb, vcpus and disk_mb (a config
 * without disk_mb: 0) into out, a 0 replaced by GS_VM_DEFAULT_MEMORY_MB,
 * 1 and GS_VM_DEFAULT_DISK_MB. */
void gs_vm_config_size(const vbx_sandbox_config *cfg, gs_vm_size *out);

/* ---- a fresh box (gs_vm_box.c) ------------------------------------------ */
/* gs_vm_box_alloc - a zeroed box of size bytes whose FIRST member is its
 * gs_box, initialised (gs_box_init: h and ops borrowed, the name a copy of
 * cfg's box_name, else "box"); NULL with VBX_E_NOMEM set on call. The
 * caller owns it: before gs_box_create it is freed with gs_box_clear and
 * free, after with gs_box_teardown first. */
void *gs_vm_box_alloc(const vbx_host_services *h, size_t size, const gs_box_ops *ops,
                      const vbx_sandbox_config *cfg, vbx_call *call);
/* gs_vm_box_setup - once a box's options are parsed: the identity of its
 * commands (pol's uid and gid into box->gs), the VM's size from cfg
 * (gs_vm_config_size into size), its LLM gateway through the agent's
 * tunnel (gs_gateway_plan: pol's llm_gateway_port); returns the box's
 * number in this plugin instance (gs_vm_next_box, for gs_vm_dir_name).
 * Any thread. */
unsigned long gs_vm_box_setup(gs_vm_state *st, gs_box *box, guest_policy *pol,
                              const vbx_sandbox_config *cfg, gs_vm_size *size);
/* gs_vm_dir_name - a box directory's own part of its name into out
 * (truncated to cap): the first 48 bytes of name ("box" when NULL) made
 * file-name-safe (guest_safe_name), then "-seq". */
void gs_vm_dir_name(const char *name, unsigned long seq, char *out, size_t cap);
/* gs_vm_log_up - log at INFO "box NAME: guest agent up in T ms (STREAM at
 * S ms)" from the boot's times (boot_ns: spawned, the stream to the agent
 * reached, handshake done; gs_vm_handshake); stream words the middle one
 * ("QEMU connected"). */
void gs_vm_log_up(const gs_box *box, const uint64_t boot_ns[3], const char *stream);

/* ---- the guest image (gs_vm_image.c) ------------------------------------ */
typedef struct gs_vm_image {
  char kernel[512];
  char initramfs[512];
} gs_vm_image;

/* gs_vm_image_locate - the kernel (the option kernel, else
 * IMAGE_DIR/vmlinux) and base initramfs (initramfs, else
 * IMAGE_DIR/initramfs.cpio) into out; IMAGE_DIR is image_dir, else the
 * image cache (util/cachedir.h). Options may be NULL. backend names the
 * backend in messages ("qemu"). 0, or VBX_E_NOTFOUND / VBX_E_TOOBIG set on
 * call (field: the option when it named the path) saying to run
 * `voidbox image build`. */
int gs_vm_image_locate(const vbx_host_services *h, const char *backend, const char *image_dir,
                       const char *kernel, const char *initramfs, gs_vm_image *out, vbx_call *call);

/* ---- the per-box initrd (gs_vm_initrd.c) --------------------------------- */
struct gs_vm_mounts;
typedef struct gs_vm_initrd {
  const char *base;                  /* the image's initramfs (a newc archive) */
  const char *listen;                /* the agent's --listen ("vsock:1024", ...) */
  const char *writer;                /* names the backend in the policy file */
  const guest_policy *pol;           /* the policy, and the uid/gid of workspace/ */
  uint32_t disk_mb;                  /* the agent's --disk-mb */
  const char *resolv_conf;           /* etc/resolv.conf text, NULL: none */
  const struct gs_vm_mounts *mounts; /* 9p shares (--mount) and the host
                                        userland's entries; NULL: none */
} gs_vm_initrd;

/* gs_vm_initrd_write - create path (0600, exclusively) = spec->base
 * followed by an archive with etc/voidbox/agent.args (one argument a
 * line: --listen, --policy-file, --secret-file, --unlink-secret, --root /,
 * --cwd /workspace, --shutdown reboot, --disk-mb, then --mount TAG:PATH
 * for each of spec->mounts' shares), etc/voidbox/policy,
 * etc/voidbox/secret (secret, 0400: the agent unlinks it once read),
 * skills/ and workspace/ (owned by the policy's uid/gid), with
 * resolv_conf etc/resolv.conf, and with the host userland its /lib links
 * and /etc files (gs_vm_userland_etc, gs_vm_userland_links). The secret never appears on a command line. 0 or
 * VBX_E_IO / VBX_E_NOMEM / VBX_E_INVAL set on call; a partial file is
 * left for the box directory's removal. */
int gs_vm_initrd_write(const vbx_host_services *h, const char *path, const gs_vm_initrd *spec,
                       const void *secret, size_t secret_len, vbx_call *call);

/* ---- console and log tails (gs_console.c) -------------------------------- */
/* gs_file_tail - the last `lines` lines (at most cap-1 bytes) of file, with
 * control characters replaced, into out. Returns the length (0: none). */
size_t gs_file_tail(const char *file, unsigned lines, char *out, size_t cap);
/* gs_console_panic - the last "Kernel panic - not syncing: ..." line in the
 * final 16 KiB of the console log (NUL-terminated, at most cap-1 bytes)
 * into out; "" when the guest did not panic. */
void gs_console_panic(const char *file, char *out, size_t cap);
/* gs_console_agent_last - the last line of the guest agent's log
 * ("voidbox-agent: ..." to the end of its line) in the final 16 KiB of
 * the console log, before its last "Kernel panic" line if it has one,
 * into out as gs_console_panic does; "" when there is none. */
void gs_console_agent_last(const char *file, char *out, size_t cap);

/* ---- a dead VM, in words (gs_vm_why.c) ----------------------------------- */
#define GS_VM_WHY_MAX 900 /* a call's error message holds 1 KiB with its prefix */
/* gs_vm_why_dead - for a skeleton's ops->why_dead: the monitor's exit
 * status ("<who> exited with status 0", when gone), the connection's end
 * (why), the last 4 lines of BOXDIR/log_file ("<who> said: ..."), the
 * guest's "Kernel panic" line from BOXDIR/console.log - when it says init
 * was killed, followed by " after " and the agent's last line
 * (gs_console_agent_last: its reason for exiting, which the panic's dump
 * pushes out of the tail) - then as much of the console tail as fits
 * (newest lines kept; at most min(cap, GS_VM_WHY_MAX) bytes). who names the monitor ("QEMU", "voidbox-vmm"). */
void gs_vm_why_dead(gs_box *box, const char *who, const char *log_file, int gone, int status,
                    const char *why, char *msg, size_t cap);

/* ---- hardware KVM (gs_vm_kvm.c) ------------------------------------------ */
enum {
  GS_KVM_OK,        /* /dev/kvm opens read-write and the CPU shows vmx or svm */
  GS_KVM_ABSENT,    /* no /dev/kvm */
  GS_KVM_NO_ACCESS, /* /dev/kvm does not open read-write (*err: errno) */
  GS_KVM_NO_HW      /* it opens, but the CPU shows no vmx/svm: a software KVM
                       (PVM) that cannot boot an unmodified Linux guest */
};
/* gs_vm_kvm_probe - one of the GS_KVM_* states; *err gets open's errno (0
 * when it opened). Reads /dev/kvm and /proc/cpuinfo only. */
int gs_vm_kvm_probe(int *err);

/* ---- the monitor process (gs_vm_spawn.c) --------------------------------- */
/* gs_vm_spawn - fork the VM's monitor (QEMU, voidbox-vmm) running argv
 * (NULL-terminated; argv[0] looked up in PATH with search_path, else run
 * as given): stdin and stdout /dev/null, stderr BOXDIR/log_file (0600,
 * truncated), its own session (a terminal's Ctrl-C reaches voidbox only),
 * PR_SET_PDEATHSIG SIGKILL (it dies with voidbox, even a SIGKILLed one).
 * When the exec fails the child writes exec_failed to the log and exits
 * 127. The pid goes to gs_box_set_pid (recorded in ops->proc_file). 0, or
 * VBX_E_IO (the log) / VBX_E_SANDBOX (fork) set on call; the process, if
 * any, is left for the teardown. Everything is borrowed. Threads: the
 * box's creating thread only (PDEATHSIG follows the forking thread; the
 * engine creates and destroys a box on one thread). */
int gs_vm_spawn(gs_box *box, const char *const *argv, const char *log_file, int search_path,
                const char *exec_failed, vbx_call *call);
/* gs_vm_fork_exec - gs_vm_spawn's process without the box's record: the
 * same child set-up, plus pass_fd (>= 0) inherited as GS_VM_PASSED_FD; the
 * pid goes to *pid only (for a helper process of the box, such as its
 * voidbox-netstack). Same errors and threads as gs_vm_spawn. */
#define GS_VM_PASSED_FD 3
int gs_vm_fork_exec(gs_box *box, const char *const *argv, const char *log_file, int search_path,
                    const char *exec_failed, int pass_fd, pid_t *pid, vbx_call *call);
/* gs_vm_listen_unix - a Unix stream socket listening at path (backlog 1,
 * close-on-exec): the fd, or -errno (-ENAMETOOLONG past sun_path). */
int gs_vm_listen_unix(const char *path);

/* ---- the boot wait and the handshake (gs_vm_launch.c) -------------------- */
#define GS_VM_SLICE_MS 50 /* a boot wait's poll slice, between its checks */
/* gs_vm_launch_error - the call's error "box NAME: what: <why the VM is
 * gone>" (gs_box_why_dead, waiting up to ops->exit_wait_ms for the
 * monitor's exit - not at all for VBX_E_TIMEOUT: the monitor runs on).
 * Returns code. */
int gs_vm_launch_error(gs_box *box, vbx_call *call, int code, const char *what);
/* gs_vm_boot_check - one slice of a boot wait is over: has the monitor
 * exited (VBX_E_SANDBOX; `gone` words what we waited for), the call been
 * cancelled (VBX_E_CANCELLED) or run past its own deadline, or the boot
 * deadline (monotonic ns) passed (VBX_E_TIMEOUT; `late`)? 0 to keep
 * waiting, else the negative code with the call's error set (through
 * gs_vm_launch_error but for a cancel). Threads: the box's creating
 * thread (it reaps the monitor). */
int gs_vm_boot_check(gs_box *box, uint64_t deadline, const char *gone, const char *late,
                     vbx_call *call);
/* gs_vm_wait_readable - wait until fd (borrowed) is readable, in
 * GS_VM_SLICE_MS slices with gs_vm_boot_check between them. 0, or its
 * negative code with the call's error set. Threads: as gs_vm_boot_check. */
int gs_vm_wait_readable(gs_box *box, int fd, uint64_t deadline, const char *gone, const char *late,
                        vbx_call *call);
/* gs_vm_handshake - the tail of a VM backend's connect op once fd is a
 * byte stream to the guest agent (fd is taken: the connection's, or
 * closed): boot_ns[1] = now; wait for the agent's first frame
 * (gs_vm_wait_readable with gone, "the guest agent did not come up in time
 * (boot_timeout_ms)" and deadline); authenticate with box->secret in the
 * time left (gc_connect_fd into box->gs.conn; a failure is "the guest
 * agent did not come up (...)", VBX_E_TIMEOUT or VBX_E_SANDBOX);
 * boot_ns[2] = now; remove BOXDIR/initrd.cpio (the monitor loaded it
 * before the guest ran: the secret's copy goes). 0 or the negative code
 * set on call. Threads: the box's creating thread. */
int gs_vm_handshake(gs_box *box, int fd, uint64_t deadline, const char *gone, uint64_t boot_ns[3],
                    vbx_call *call);

/* ---- helper programs (gs_vm_helper.c) --------------------------------- */
typedef struct gs_vm_helper {
  const char *name;       /* "voidbox-vmm" */
  const char *what;       /* "the monitor", for messages */
  const char *option;     /* the sandbox option that names it ("vmm") */
  const char *installed;  /* VBX_LAYOUT_* path in an install tree */
  const char *built;      /* VBX_LAYOUT_BUILD_* path in a build tree */
  const char *source_dir; /* "vmm/", for messages */
} gs_vm_helper;

/* gs_vm_helper_find - the helper's path into out: opt when set (it must
 * be an executable file), else this plugin's build or install tree, else
 * beside the running executable, else PATH. 0, or VBX_E_NOTFOUND /
 * VBX_E_TOOBIG with a message in msg naming where it looked. */
int gs_vm_helper_find(const gs_vm_helper *hp, const char *opt, char *out, size_t cap, char *msg,
                      size_t mcap);

/* ---- the box's network (gs_vm_net.c) ----------------------------------- */
typedef struct gs_vm_net {
  pid_t pid;      /* voidbox-netstack, or -1 */
  char sock[600]; /* DIR/net.sock: QEMU or voidbox-vmm connects here */
} gs_vm_net;

/* The guest's side of voidbox-netstack's fixed network (docs/network.md):
 * the kernel's static address for eth0 and the resolver. */
#define GS_VM_NET_CMDLINE " ip=10.0.2.15::10.0.2.2:255.255.255.0:voidbox:eth0:off"
#define GS_VM_RESOLV_CONF "nameserver 10.0.2.3\n"

/* gs_vm_net_find - the voidbox-netstack to run (gs_vm_helper_find with
 * the sandbox option `netstack`). 0 or VBX_E_NOTFOUND with msg. */
int gs_vm_net_find(const char *opt, char *out, size_t cap, char *msg, size_t mcap);
/* gs_vm_net_start - start the box's voidbox-netstack (helper: its path)
 * with cfg's egress policy and LLM gateway port: a listening socket at
 * DIR/net.sock (made here, inherited, so the VM may connect at once), its
 * log in DIR/net.log, PR_SET_PDEATHSIG and its own session like the
 * monitor. net->pid is set on success. 0 or a negative VBX_E_* set on
 * call. Box-owning thread. */
int gs_vm_net_start(gs_box *box, gs_vm_net *net, const char *helper, const vbx_sandbox_config *cfg,
                    vbx_call *call);
/* gs_vm_net_stop - stop it (SIGTERM, 1 s, SIGKILL, reaped) and pass its
 * log to the host's log: each deny line as a warning, the counters as
 * info. Idempotent; a never-started net (pid -1) is a no-op. */
void gs_vm_net_stop(gs_box *box, gs_vm_net *net);

/* ---- host directories as read-only 9p shares (gs_vm_mounts.c) ------------ */
/* Shares of one box, the host userland's and the config's mounts
 * together: one virtio-9p device each, and QEMU's microvm without ACPI
 * has 8 virtio-mmio transports, of which rng, serial and net take 3. */
#define GS_VM_MAX_SHARES 5
#define GS_VM_MAX_USERLAND 5     /* the host userland: /usr, /lib, /lib32, /lib64, /libx32 */
#define GS_VM_GUEST_PATH_MAX 240 /* bytes of a mount's guest path */
#define GS_VM_HOST_PATH_MAX 4095 /* bytes of a share's host directory */
#define GS_VM_LINK_MAX 255       /* bytes of a host userland link's target */

/* One host directory the monitor exports read-only to the guest, which
 * mounts it with 9p at guest. */
typedef struct gs_vm_share {
  char tag[8];                          /* the 9p mount tag: "vbx0", "vbx1", ... */
  char host[GS_VM_HOST_PATH_MAX + 1];   /* the directory, canonical (realpath) */
  char guest[GS_VM_GUEST_PATH_MAX + 1]; /* absolute, normalised */
} gs_vm_share;

/* A symbolic link of the host userland the per-box archive makes as it is
 * on the host (a merged-/usr host's /lib -> usr/lib). */
typedef struct gs_vm_link {
  char name[8]; /* "lib", "lib64": relative to / */
  char target[GS_VM_LINK_MAX + 1];
} gs_vm_link;

/* The 9p shares of a box, in the order the guest mounts them: the host
 * userland's first, then the config's mounts. */
typedef struct gs_vm_mounts {
  gs_vm_share share[GS_VM_MAX_SHARES];
  unsigned n_share;
  gs_vm_link link[GS_VM_MAX_USERLAND];
  unsigned n_link;
  int host_userland; /* the archive also gets /etc/ld.so.cache, /etc/alternatives */
} gs_vm_mounts;

/* gs_vm_mounts_plan - the shares of a box into out (zeroed first), checked
 * before anything of the box exists. With host_userland: the host's /usr
 * (a directory: VBX_E_NOTFOUND otherwise), and each of /lib, /lib32,
 * /lib64, /libx32 that exists - a directory as a share, a symlink as a
 * link - mounted at the same paths. Then cfg's mounts, each of which must
 * be read_only (else VBX_E_UNSUPPORTED: a guest writing into a host
 * directory through the monitor is not offered), name a host directory
 * (relative: to cfg->spec_dir; resolved with realpath; a missing one
 * VBX_E_NOTFOUND, another type VBX_E_INVAL, one this user cannot read and
 * search VBX_E_PERM) and an absolute guest path of at most
 * GS_VM_GUEST_PATH_MAX bytes without empty, "." or ".." components or
 * control characters that is not /, not in /proc, /sys or /dev, not one of
 * the box's own /tmp, /var/tmp, /workspace, /skills, not in the host
 * userland's paths (with it) and neither inside nor around another mount's
 * (VBX_E_SPEC); at most GS_VM_MAX_SHARES shares in all (VBX_E_LIMIT). Every error
 * has field "mounts" and names the mount by its number and paths. backend
 * names the backend ("qemu"). 0 or the code set on call. */
int gs_vm_mounts_plan(const vbx_host_services *h, const char *backend,
                      const vbx_sandbox_config *cfg, int host_userland, gs_vm_mounts *out,
                      vbx_call *call);

/* ---- the host userland's part of the per-box archive (gs_vm_userland.c) -- */
struct vbx__newc;
/* gs_vm_userland_etc - with m->host_userland, add to the archive w (whose
 * last entry sorts before "etc/alternatives", the next after
 * "etc/ld.so.cache") the host's /etc/alternatives as a directory of the
 * same symlinks (at most 4096) and its /etc/ld.so.cache (at most 4 MiB),
 * each only when the host has it. Without host_userland nothing. 0, or
 * VBX_E_IO / VBX_E_NOMEM / VBX_E_TOOBIG with msg (cap bytes) saying what. */
int gs_vm_userland_etc(struct vbx__newc *w, const gs_vm_mounts *m, char *msg, size_t cap);
/* gs_vm_userland_links - add m's links (lib -> usr/lib, ...) to w, whose
 * last entry sorts before "lib" and the next after "libx32". 0 or the
 * writer's code. */
int gs_vm_userland_links(struct vbx__newc *w, const gs_vm_mounts *m);

#endif
