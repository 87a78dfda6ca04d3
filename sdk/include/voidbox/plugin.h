/*
 * voidbox/plugin.h - the voidbox plugin ABI, version 1.
 *
 * A plugin is a shared object that exports exactly one symbol,
 * VBX_PLUGIN_ENTRY_SYMBOL, a side-effect-free function returning a pointer to
 * a static vbx_plugin_descriptor. The host checks the descriptor (magic, ABI
 * major, ABI minor, layout fingerprint, required strings, unique name), then
 * calls init() once with a host-services table and a registrar. Through the
 * registrar the plugin registers any number of skill types, LLM providers,
 * sandbox backends and exporters. The registrar works only during init().
 *
 * Compatibility rules (see docs/plugin-abi.md):
 *  - Every struct that crosses the boundary starts with `uint32_t struct_size`
 *    set by its producer to sizeof() as that producer was compiled.
 *  - Vtables and the host-services table grow only by appending optional
 *    function pointers. A consumer reads a member only if struct_size covers
 *    it (VBX_HAS_MEMBER) and it is non-NULL; otherwise the method is
 *    "unsupported".
 *  - Argument structs: a struct shorter than the reader's is zero-extended; a
 *    longer one whose unknown tail is not all zero is refused (VBX_E_ABI).
 *
 * Ownership:
 *  - Arguments are borrowed for the duration of the call.
 *  - Memory a plugin returns to the host is allocated with host->alloc (or
 *    host->strdup) and freed by the host; or it is static and valid until the
 *    plugin's fini() returns. Each field's comment says which.
 *  - Strings in vtables and descriptors are static for the plugin's lifetime.
 *
 * Threads:
 *  - init() and fini() are serialised across all plugins.
 *  - Host services are thread-safe unless a comment says otherwise.
 *  - An instance (sandbox, provider, skill, exporter) is called by one thread
 *    at a time unless its vtable sets VBX_VT_THREAD_SAFE.
 *  - The host never calls into a plugin while holding a host lock.
 *
 * Errors: functions return 0 or a negative VBX_E_* code and put a message in
 * the per-call error slot with host->set_error(call, ...). Plugins must not
 * exit(), abort(), longjmp() across the boundary, or rely on errno.
 */
#ifndef VOIDBOX_PLUGIN_H
#define VOIDBOX_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "voidbox/errors.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- versioning ---------------------------------------------------------- */

#define VBX_PLUGIN_MAGIC 0x50584256u /* "VBXP" read as little-endian bytes */
#define VBX_ABI_MAJOR 1
#define VBX_ABI_MINOR 4
#define VBX_PLUGIN_ENTRY_SYMBOL "vbx_plugin_entry_v1"

/* Layout fingerprint: pointer size, size_t size and byte order of the build.
 * It never encodes build options (debug, sanitizers, optimisation). */
#define VBX_FP_ENDIAN_LITTLE 1u
#define VBX_FP_ENDIAN_BIG 2u
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define VBX_FP_ENDIAN VBX_FP_ENDIAN_BIG
#else
#define VBX_FP_ENDIAN VBX_FP_ENDIAN_LITTLE
#endif
#define VBX_ABI_FINGERPRINT                                                                      \
  ((uint32_t)(0x56000000u | ((uint32_t)sizeof(void *) << 16) | ((uint32_t)sizeof(size_t) << 8) | \
              VBX_FP_ENDIAN))

/* True when a struct produced with size `s->struct_size` contains `member`. */
#define VBX_HAS_MEMBER(s, type, member) \
  ((s) != NULL && (s)->struct_size >= offsetof(type, member) + sizeof(((type *)0)->member))

/* True when a vtable method is present and non-NULL. */
#define VBX_HAS_METHOD(vt, type, member) (VBX_HAS_MEMBER(vt, type, member) && (vt)->member != NULL)

/* ---- opaque host objects ----------------------------------------------- */

struct vbx_metric_data; /* defined with the exporters below */

typedef struct vbx_json vbx_json;             /* host JSON value (refcounted) */
typedef struct vbx_call vbx_call;             /* per-call error slot + cancel */
typedef struct vbx_span vbx_span;             /* tracing span */
typedef struct vbx_plugin_ctx vbx_plugin_ctx; /* identifies the calling plugin */

typedef enum vbx_log_level {
  VBX_LOG_TRACE = 0,
  VBX_LOG_DEBUG = 1,
  VBX_LOG_INFO = 2,
  VBX_LOG_WARN = 3,
  VBX_LOG_ERROR = 4
} vbx_log_level;

typedef enum vbx_json_type {
  VBX_JSON_NULL = 0,
  VBX_JSON_BOOL = 1,
  VBX_JSON_INTEGER = 2,
  VBX_JSON_REAL = 3,
  VBX_JSON_STRING = 4,
  VBX_JSON_ARRAY = 5,
  VBX_JSON_OBJECT = 6
} vbx_json_type;

/* ---- HTTP helper ------------------------------------------------------- */

/* Streaming body callback: called with each chunk as it arrives. Return 0 to
 * continue or a negative VBX_E_* code to abort the transfer (the request then
 * fails with that code). `data` is borrowed for the call. */
typedef int (*vbx_http_data_fn)(void *user, const char *data, size_t len);

typedef struct vbx_http_request {
  uint32_t struct_size;
  const char *method; /* "GET", "POST", ... */
  const char *url;
  const char *const *headers; /* "Name: value" strings, NULL-terminated; may be NULL */
  const char *body;           /* may be NULL */
  size_t body_len;
  uint32_t connect_timeout_ms; /* 0: host default */
  uint32_t idle_timeout_ms;    /* abort when no byte arrives for this long; 0: default */
  size_t max_response_bytes;   /* bound on a buffered body; 0: host default */
  vbx_http_data_fn on_data;    /* NULL: body is buffered into the response */
  void *user;                  /* passed to on_data */
} vbx_http_request;

typedef struct vbx_http_response {
  uint32_t struct_size;
  long status; /* HTTP status, 0 if no response */
  char *body;  /* buffered body (host->alloc'd, NUL-terminated) or NULL when streamed */
  size_t body_len;
  char *retry_after;  /* Retry-After header value (host->alloc'd) or NULL */
  char *content_type; /* Content-Type header value (host->alloc'd) or NULL */
} vbx_http_response;

/* ---- host services ----------------------------------------------------- */

/* The table a plugin receives in init(). It stays valid until fini()
 * returns. `ctx` identifies the plugin and is passed back to services that
 * take it. All services are thread-safe. */
typedef struct vbx_host_services {
  uint32_t struct_size;
  uint16_t abi_major;
  uint16_t abi_minor;
  vbx_plugin_ctx *ctx;

  /* Logging, tagged with the plugin's name. */
  void (*log)(vbx_plugin_ctx *ctx, vbx_log_level level, const char *fmt, ...)
      __attribute__((format(printf, 3, 4)));
  void (*vlog)(vbx_plugin_ctx *ctx, vbx_log_level level, const char *fmt, va_list ap);

  /* Allocator. Memory handed to the host must come from here. alloc()
   * zero-fills. All return NULL on failure. */
  void *(*alloc)(size_t size);
  void *(*realloc)(void *ptr, size_t size);
  void (*free)(void *ptr);
  char *(*strdup)(const char *s);
  char *(*strndup)(const char *s, size_t n);

  /* JSON values. A vbx_json* is refcounted: functions named *_new, parse,
   * and json_incref return a new reference the caller owns and releases with
   * json_decref. Getters (object_get, array_get) return borrowed references
   * valid while the parent lives. Setters that take a value *steal* it. */
  vbx_json *(*json_parse)(const char *text, size_t len, vbx_call *call);
  char *(*json_dump)(const vbx_json *v); /* compact text, host->alloc'd */
  vbx_json *(*json_incref)(vbx_json *v);
  void (*json_decref)(vbx_json *v);
  vbx_json_type (*json_type)(const vbx_json *v);
  vbx_json *(*json_object_get)(const vbx_json *obj, const char *key);
  size_t (*json_object_size)(const vbx_json *obj);
  /* Iterate: returns the idx-th key (in insertion order) or NULL past the end. */
  const char *(*json_object_key_at)(const vbx_json *obj, size_t idx, vbx_json **value);
  size_t (*json_array_size)(const vbx_json *arr);
  vbx_json *(*json_array_get)(const vbx_json *arr, size_t idx);
  const char *(*json_string_value)(const vbx_json *v); /* NULL if not a string */
  size_t (*json_string_length)(const vbx_json *v);
  int64_t (*json_integer_value)(const vbx_json *v); /* 0 if not an integer */
  double (*json_number_value)(const vbx_json *v);   /* integer or real; 0 otherwise */
  int (*json_is_true)(const vbx_json *v);
  vbx_json *(*json_object_new)(void);
  vbx_json *(*json_array_new)(void);
  vbx_json *(*json_string_new)(const char *s, size_t len);
  vbx_json *(*json_integer_new)(int64_t v);
  vbx_json *(*json_real_new)(double v);
  vbx_json *(*json_bool_new)(int v);
  vbx_json *(*json_null_new)(void);
  int (*json_object_set)(vbx_json *obj, const char *key, vbx_json *value); /* steals value */
  int (*json_array_append)(vbx_json *arr, vbx_json *value);                /* steals value */

  /* Configuration: host-level settings ("--set key=value" on the CLI,
   * VOIDBOX_* environment). Returns a borrowed string valid until fini(), or
   * NULL when unset. */
  const char *(*config_get)(vbx_plugin_ctx *ctx, const char *key);

  /* Per-call error slot. `field`, when not NULL, names the option or spec
   * key at fault, so the host can point at its file position. Returns `code`
   * so a plugin can write `return host->set_error(call, VBX_E_INVAL, ...)`. */
  int (*set_error)(vbx_call *call, int code, const char *field, const char *fmt, ...)
      __attribute__((format(printf, 4, 5)));

  /* Cancellation: non-zero once the call should stop (Ctrl-C, timeout,
   * pipeline failure). Long-running plugin code polls it. */
  int (*is_cancelled)(const vbx_call *call);
  /* Absolute CLOCK_MONOTONIC deadline of the call in ns, or 0 for none. */
  uint64_t (*deadline_ns)(const vbx_call *call);

  /* Clocks, nanoseconds. */
  uint64_t (*monotonic_ns)(void);
  uint64_t (*realtime_ns)(void);

  /* Tracing and metrics, routed to the exporters of the run the calling
   * thread works for. span_begin returns a span the caller must end with
   * span_end (which frees it and delivers it). parent NULL: a child of the
   * span the host is working under on this thread (the LLM call, tool call,
   * sandbox creation or box that called the plugin), or a new trace on a
   * plugin's own thread. span_end's status: 0 ok, a negative VBX_E_* code
   * failed. metric_add records a counter increment (see metric_record). */
  vbx_span *(*span_begin)(vbx_plugin_ctx *ctx, const char *name, vbx_span *parent);
  void (*span_set_attr)(vbx_span *span, const char *key, const char *value);
  void (*span_end)(vbx_span *span, int status);
  void (*metric_add)(vbx_plugin_ctx *ctx, const char *name, double value, const char *unit);

  /* HTTP client (libcurl inside the host). Fills `resp`; the caller frees
   * resp->body/retry_after/content_type with host->free. Honours the call's
   * cancellation and deadline. Returns 0 when a response arrived (any
   * status) or a negative VBX_E_* transport error. */
  int (*http_request)(vbx_plugin_ctx *ctx, const vbx_http_request *req, vbx_http_response *resp,
                      vbx_call *call);
  /* ---- appended in ABI 1.4 (check VBX_HAS_METHOD) ---- */
  /* Record one metric data point (a counter increment, a gauge value or one
   * histogram observation; see vbx_metric_data). `m` is borrowed for the
   * call; m->plugin and m->time_ns are filled in by the host when NULL/0.
   * Routed, like spans, to the exporters of the run the calling thread
   * works for. Never blocks on an exporter. */
  void (*metric_record)(vbx_plugin_ctx *ctx, const struct vbx_metric_data *m);
  /* The W3C trace context of `span` ("00-<32 hex>-<16 hex>-01") into
   * buf[56]; with span NULL, the span the calling thread works under (the
   * host's current LLM call, tool call or box). Returns 0, or VBX_E_NOTFOUND
   * when there is no span (buf is then ""). */
  int (*span_traceparent)(const vbx_span *span, char buf[56]);
} vbx_host_services;

/* ---- sandbox backends -------------------------------------------------- */

typedef struct vbx_mount {
  uint32_t struct_size;
  const char *host_path;
  const char *guest_path;
  int read_only;
} vbx_mount;

/* Configuration of one sandbox, from the spec's `sandbox:` block. */
typedef struct vbx_sandbox_config {
  uint32_t struct_size;
  const char *box_name;
  uint32_t memory_mb;
  uint32_t vcpus;
  int network;            /* 0: no network */
  const char *const *env; /* "KEY=VALUE", NULL-terminated */
  const vbx_mount *mounts;
  size_t n_mounts;
  uint32_t timeout_secs;   /* whole-sandbox lifetime; 0: none */
  const vbx_json *options; /* backend-specific keys (object) or NULL */
  const char *spec_dir;    /* directory of the spec file, for relative paths */
  /* ---- appended in ABI 1.1 (read with VBX_HAS_MEMBER) ---- */
  uint32_t disk_mb; /* size of the box's writable storage (/tmp and
                                   /workspace together) in MiB; 0: backend default */
  /* ---- appended in ABI 1.2 (read with VBX_HAS_MEMBER) ---- */
  /* With network: the egress policy as a JSON object, {"allow":[..],
   * "deny":[..],"dns":[..],"max_connections":N,"rate_limit_kbps":N} (keys
   * optional, entries already validated); NULL: the default policy
   * (docs/network.md). */
  const char *network_policy;
  /* The host 127.0.0.1 port of this box's LLM gateway, which the guest
   * reaches at 10.0.2.2:4000 whatever the policy; 0: none. */
  uint32_t llm_gateway_port;
  /* ---- appended in ABI 1.3 (read with VBX_HAS_MEMBER) ---- */
  /* The programs (argv[0] values) the box's skills declared they run
   * (skill vtable method `commands`: a cli: skill's program, an mcp:
   * server's command), NULL-terminated, or NULL. A backend that enforces a
   * command allowlist allows these too; one without an allowlist (every
   * command allowed) has nothing to do. */
  const char *const *skill_commands;
} vbx_sandbox_config;

typedef enum vbx_stream { VBX_STREAM_STDOUT = 1, VBX_STREAM_STDERR = 2 } vbx_stream;

/* Output callback: bytes as they are produced. Return 0 or a negative code
 * to cancel the exec. */
typedef int (*vbx_output_fn)(void *user, vbx_stream stream, const char *data, size_t len);

typedef struct vbx_exec_request {
  uint32_t struct_size;
  const char *const *argv; /* NULL-terminated; argv[0] is the program */
  const char *const *env;  /* extra "KEY=VALUE", NULL-terminated, or NULL */
  const char *cwd;         /* NULL: sandbox default */
  const char *stdin_data;  /* NULL: no stdin */
  size_t stdin_len;
  uint32_t timeout_ms;     /* 0: none */
  size_t max_output_bytes; /* cap on each captured stream; 0: host default */
  vbx_output_fn on_output; /* may be NULL */
  void *user;
} vbx_exec_request;

typedef struct vbx_exec_result {
  uint32_t struct_size;
  int exit_code;   /* valid when term_signal == 0 */
  int term_signal; /* signal that ended it, or 0 */
  int timed_out;
  char *stdout_data; /* captured, host->alloc'd, NUL-terminated */
  size_t stdout_len;
  char *stderr_data;
  size_t stderr_len;
  int stdout_truncated;
  int stderr_truncated;
  uint64_t duration_ns;
} vbx_exec_result;

#define VBX_VT_THREAD_SAFE 0x1u       /* instances may be called concurrently */
#define VBX_SANDBOX_IS_VM 0x2u        /* backend gives hardware isolation */
#define VBX_SANDBOX_IS_SIMULATED 0x4u /* runs nothing for real (mock) */

/* One resource-use sample of a sandbox (vtable method `telemetry`). */
typedef struct vbx_sandbox_telemetry {
  uint32_t struct_size;
  uint64_t cpu_usec;      /* CPU time used by the sandbox so far
                                    (monotonic; compare two samples) */
  uint64_t mem_used_kib;  /* memory in use, <= mem_total_kib */
  uint64_t mem_total_kib; /* memory the sandbox can see */
  uint32_t procs;         /* processes in the sandbox */
  uint64_t time_ns;       /* sandbox monotonic clock at the sample;
                                    only differences are meaningful */
  /* ---- appended in ABI 1.4 (check VBX_HAS_MEMBER; 0 when unknown) ---- */
  uint64_t net_rx_bytes, net_tx_bytes; /* the sandbox's network interfaces
                                          other than loopback, since boot */
  uint32_t open_fds;                   /* open file descriptors of its processes */
  /* The host process that carries the sandbox (QEMU, the VMM, the local
   * agent): its name ("qemu", "voidbox-vmm", "agent"; static), resident
   * memory and CPU time so far. host_process NULL: not reported. */
  const char *host_process;
  uint64_t host_rss_kib;
  uint64_t host_cpu_usec;
} vbx_sandbox_telemetry;

typedef struct vbx_sandbox_backend_vtable {
  uint32_t struct_size;
  const char *name; /* "mock", "local", "kvm", "qemu" */
  const char *description;
  uint32_t flags;

  /* Validate backend-specific options (keys not in the common sandbox
   * block). Optional. On error set `field` to the offending key. */
  int (*validate_options)(void *plugin_state, const vbx_json *options, vbx_call *call);
  /* Create and start a sandbox. *out is owned by the plugin until destroy. */
  int (*create)(void *plugin_state, const vbx_sandbox_config *cfg, vbx_call *call, void **out);
  /* Stop and free. Never fails; must not block indefinitely. */
  void (*destroy)(void *sandbox);
  /* exec, file_write and file_read return VBX_E_SANDBOX_LOST when the
   * sandbox itself is gone (its agent, VM or process died): the host then
   * ends the box FAILED with the call's message instead of handing the error
   * to the model. Any other code is the failure of that one call. */
  /* Run a command to completion, streaming output through req->on_output
   * and capturing it into res (fields host->alloc'd, freed by the caller). A
   * non-zero exit status is not an error (returns 0). */
  int (*exec)(void *sandbox, const vbx_exec_request *req, vbx_exec_result *res, vbx_call *call);
  /* Write a whole file inside the sandbox, creating parents. */
  int (*file_write)(void *sandbox, const char *path, const void *data, size_t len, uint32_t mode,
                    vbx_call *call);
  /* Read a whole file; *out host->alloc'd (NUL-terminated), freed by the
   * caller. Files over max_len fail with VBX_E_TOOBIG. */
  int (*file_read)(void *sandbox, const char *path, size_t max_len, char **out, size_t *out_len,
                   vbx_call *call);
  /* ---- appended; optional (check VBX_HAS_METHOD) ---- */
  /* A current sample of the sandbox's resource use. Optional. Fills *out
   * (the caller sets out->struct_size; the backend fills at most that many
   * bytes). Blocks at most until the call's deadline and honours its
   * cancellation (VBX_E_CANCELLED / VBX_E_TIMEOUT). Leaves nothing running
   * in the sandbox once it returns. Same thread rules as exec. Returns 0 or
   * a negative VBX_E_* code with the call's error set (VBX_E_UNSUPPORTED
   * when the sandbox cannot report telemetry). */
  int (*telemetry)(void *sandbox, vbx_sandbox_telemetry *out, vbx_call *call);
  /* ---- appended in ABI 1.3: streaming exec; optional, all or none ---- */
  /* A "proc" is a process started with proc_open that keeps running while
   * the caller writes its stdin and reads its output piece by piece (an MCP
   * server over stdio, an interactive tool). Thread rules: a proc is used by
   * one thread at a time, except that proc_kill may be called from any
   * thread at any time. Every proc is closed with proc_close before its
   * sandbox is destroyed. */
  /* Start req->argv with a stdin pipe. req->stdin_data, on_output and
   * max_output_bytes are ignored; req->timeout_ms bounds the process's whole
   * life (0: none; the sandbox's own lifetime still applies). The call's
   * deadline and cancellation bound only the start. *out is owned by the
   * backend until proc_close. */
  int (*proc_open)(void *sandbox, const vbx_exec_request *req, void **out, vbx_call *call);
  /* Write all `len` bytes to the proc's stdin, waiting for the guest's flow
   * control as needed, until the call's deadline (VBX_E_TIMEOUT) or
   * cancellation (VBX_E_CANCELLED). VBX_E_STATE after proc_close_stdin or
   * once the process has ended (its stdin is gone). */
  int (*proc_write)(void *proc, const void *data, size_t len, vbx_call *call);
  /* End of input: the process reads EOF on stdin. Idempotent. */
  int (*proc_close_stdin)(void *proc, vbx_call *call);
  /* Wait up to timeout_ms (and never past the call's deadline) for output.
   * Returns 0 with at most `cap` bytes of one stream in buf, *len > 0 and
   * *stream set; 0 with *len == 0 once the process has ended and all its
   * output was read (end of file); VBX_E_AGAIN when nothing arrived in
   * time; or an error (VBX_E_SANDBOX_LOST when the sandbox died). Output
   * the caller does not read holds the process back (flow control), it is
   * never dropped and never buffered without bound. */
  int (*proc_read)(void *proc, uint32_t timeout_ms, vbx_stream *stream, char *buf, size_t cap,
                   size_t *len, vbx_call *call);
  /* The exit status, once proc_read has returned end of file: fills
   * exit_code, term_signal, timed_out and duration_ns of *res (no captured
   * output). VBX_E_STATE while the process runs. */
  int (*proc_status)(void *proc, vbx_exec_result *res, vbx_call *call);
  /* Send `signo` to the proc's process group. 0, or VBX_E_STATE when it has
   * already ended. */
  int (*proc_kill)(void *proc, int signo);
  /* Kill the process if it still runs (SIGKILL, confirmed within a few
   * seconds), release everything. Never fails. */
  void (*proc_close)(void *proc);
} vbx_sandbox_backend_vtable;

/* ---- LLM providers ----------------------------------------------------- */

/* Usage and cost of one completion. */
typedef struct vbx_llm_usage {
  uint32_t struct_size;
  uint64_t input_tokens;
  uint64_t output_tokens;
  uint64_t cache_read_tokens;
  uint64_t cache_write_tokens;
  double cost_usd;
} vbx_llm_usage;

typedef struct vbx_llm_config {
  uint32_t struct_size;
  const char *box_name;
  const char *model;       /* may be NULL: provider default */
  const char *base_url;    /* may be NULL: provider default */
  const char *api_key_env; /* may be NULL: provider default */
  const vbx_json *options; /* provider-specific keys (object) or NULL */
  const char *spec_dir;
} vbx_llm_config;

/* Streaming text callback: assistant text as it is generated. Return 0 or a
 * negative code to cancel. */
typedef int (*vbx_text_fn)(void *user, const char *text, size_t len);

/* One completion request. Messages and tools use the canonical voidbox shape,
 * documented in docs/plugin-guide.md, which follows the Anthropic Messages
 * API: messages = [{"role":"user"|"assistant","content":[blocks]}], blocks
 * {"type":"text","text"} | {"type":"tool_use","id","name","input"} |
 * {"type":"tool_result","tool_use_id","content","is_error"};
 * tools = [{"name","description","input_schema"}]. */
typedef struct vbx_llm_request {
  uint32_t struct_size;
  const char *system;       /* may be NULL */
  const vbx_json *messages; /* array, borrowed */
  const vbx_json *tools;    /* array or NULL, borrowed */
  uint32_t max_tokens;
  vbx_text_fn on_text; /* may be NULL */
  void *user;
} vbx_llm_request;

typedef struct vbx_llm_response {
  uint32_t struct_size;
  vbx_json *content; /* array of blocks; new reference owned by the host */
  char *stop_reason; /* "end_turn", "tool_use", "max_tokens"; host->alloc'd */
  char *model;       /* model that answered; host->alloc'd or NULL */
  vbx_llm_usage usage;
} vbx_llm_response;

typedef struct vbx_llm_provider_vtable {
  uint32_t struct_size;
  const char *name; /* "mock", "anthropic", "openai", "ollama" */
  const char *description;
  uint32_t flags;
  int (*validate_options)(void *plugin_state, const vbx_json *options, vbx_call *call);
  int (*create)(void *plugin_state, const vbx_llm_config *cfg, vbx_call *call, void **out);
  void (*destroy)(void *provider);
  int (*complete)(void *provider, const vbx_llm_request *req, vbx_llm_response *resp,
                  vbx_call *call);
} vbx_llm_provider_vtable;

/* ---- skill types ------------------------------------------------------- */

/* The box's sandbox as seen by a skill: calls are routed by the host to the
 * sandbox backend. Valid for the duration of the call that receives it. */
typedef struct vbx_sandbox_ref {
  uint32_t struct_size;
  void *handle;
  int (*exec)(void *handle, const vbx_exec_request *req, vbx_exec_result *res, vbx_call *call);
  int (*file_write)(void *handle, const char *path, const void *data, size_t len, uint32_t mode,
                    vbx_call *call);
  int (*file_read)(void *handle, const char *path, size_t max_len, char **out, size_t *out_len,
                   vbx_call *call);
  /* ---- appended in ABI 1.3 (check VBX_HAS_METHOD): streaming exec, with
   * the contracts of the same methods of vbx_sandbox_backend_vtable. The
   * host closes a proc the skill left open before the sandbox goes. ---- */
  int (*proc_open)(void *handle, const vbx_exec_request *req, void **out, vbx_call *call);
  int (*proc_write)(void *proc, const void *data, size_t len, vbx_call *call);
  int (*proc_close_stdin)(void *proc, vbx_call *call);
  int (*proc_read)(void *proc, uint32_t timeout_ms, vbx_stream *stream, char *buf, size_t cap,
                   size_t *len, vbx_call *call);
  int (*proc_status)(void *proc, vbx_exec_result *res, vbx_call *call);
  int (*proc_kill)(void *proc, int signo);
  void (*proc_close)(void *proc);
} vbx_sandbox_ref;

/* A skill as declared in a spec: "TYPE:VALUE" or a map with `type`. */
typedef struct vbx_skill_config {
  uint32_t struct_size;
  const char *type;        /* selects the skill-type plugin */
  const char *value;       /* text after "TYPE:" or the map's `value`; may be NULL */
  const vbx_json *options; /* other keys of the map form, or NULL */
  const char *box_name;
  const char *spec_dir;
} vbx_skill_config;

/* What a provisioned skill contributes to its box. Fields host->alloc'd or
 * NULL; the host frees them. */
typedef struct vbx_skill_contrib {
  uint32_t struct_size;
  char *name;          /* display name of the skill */
  char *system_prompt; /* text appended to the box's system prompt */
  vbx_json *tools;     /* array of tool definitions (canonical shape) */
} vbx_skill_contrib;

typedef struct vbx_skill_type_vtable {
  uint32_t struct_size;
  const char *name; /* the TYPE in "TYPE:VALUE" */
  const char *description;
  uint32_t flags;
  /* Check a declaration without side effects (validate, dry runs). Optional. */
  int (*validate)(void *plugin_state, const vbx_skill_config *cfg, vbx_call *call);
  /* Create the instance for one box. */
  int (*create)(void *plugin_state, const vbx_skill_config *cfg, vbx_call *call, void **out);
  void (*destroy)(void *skill);
  /* Install into the box's sandbox and describe what the skill adds. */
  int (*provision)(void *skill, const vbx_sandbox_ref *sandbox, vbx_skill_contrib *out,
                   vbx_call *call);
  /* Run one of the tools the skill declared. *out_text host->alloc'd. A tool
   * that ran and failed sets *is_error and returns 0. Optional when the skill
   * declares no tools. */
  int (*call_tool)(void *skill, const vbx_sandbox_ref *sandbox, const char *tool,
                   const vbx_json *input, char **out_text, int *is_error, vbx_call *call);
  /* ---- appended in ABI 1.3; optional ---- */
  /* The programs the declared skill will run in the sandbox, as argv[0]
   * values exactly as it will exec them, so that a backend enforcing a
   * command allowlist lets them run (vbx_sandbox_config.skill_commands).
   * Called before the sandbox exists, without side effects. *out: a
   * NULL-terminated array, the array and each string host->alloc'd (freed
   * by the host), or NULL for none; at most 16 entries. */
  int (*commands)(void *plugin_state, const vbx_skill_config *cfg, char ***out, vbx_call *call);
} vbx_skill_type_vtable;

/* ---- exporters --------------------------------------------------------- */

typedef enum vbx_event_type {
  VBX_EV_PIPELINE_STARTED = 1,
  VBX_EV_PIPELINE_FINISHED = 2,
  VBX_EV_STAGE_STARTED = 3,
  VBX_EV_STAGE_FINISHED = 4,
  VBX_EV_BOX_STARTED = 5,
  VBX_EV_BOX_FINISHED = 6,
  VBX_EV_TOOL_CALL = 7, /* twice per call: status RUNNING when it starts,
                                    then OK/FAILED with duration_ns when it ends */
  VBX_EV_LLM_TURN = 8,
  VBX_EV_LOG = 9
} vbx_event_type;

typedef enum vbx_status {
  VBX_STATUS_PENDING = 0,
  VBX_STATUS_RUNNING = 1,
  VBX_STATUS_OK = 2,
  VBX_STATUS_FAILED = 3,
  VBX_STATUS_CANCELLED = 4,
  VBX_STATUS_SKIPPED = 5
} vbx_status;

/* One runtime event. All pointers borrowed for the callback's duration. */
typedef struct vbx_event {
  uint32_t struct_size;
  vbx_event_type type;
  uint64_t time_ns; /* CLOCK_REALTIME */
  const char *pipeline;
  const char *stage;     /* NULL for pipeline events */
  int stage_index;       /* -1 for pipeline events */
  const char *box;       /* NULL for pipeline/stage events */
  vbx_status status;     /* for *_FINISHED */
  const char *tool;      /* VBX_EV_TOOL_CALL */
  const char *text;      /* tool input / log line / error message */
  uint64_t input_tokens; /* VBX_EV_LLM_TURN and *_FINISHED: totals */
  uint64_t output_tokens;
  double cost_usd;
  uint64_t duration_ns;
} vbx_event;

/* Span kinds, numbered as OTLP's SpanKind. */
typedef enum vbx_span_kind {
  VBX_SPAN_INTERNAL = 1,
  VBX_SPAN_SERVER = 2,
  VBX_SPAN_CLIENT = 3, /* an LLM call, an HTTP request */
  VBX_SPAN_PRODUCER = 4,
  VBX_SPAN_CONSUMER = 5
} vbx_span_kind;

/* One finished span. All pointers borrowed for the callback's duration.
 * A parent may belong to another process (an incoming TRACEPARENT): its
 * span never arrives. */
typedef struct vbx_span_data {
  uint32_t struct_size;
  const char *name;
  const char *plugin; /* "voidbox" for the runtime's own spans */
  uint64_t trace_id_hi, trace_id_lo;
  uint64_t span_id;
  uint64_t parent_span_id;   /* 0: root */
  uint64_t start_ns, end_ns; /* CLOCK_REALTIME */
  int status;                /* 0: ok, a negative VBX_E_* code: error */
  const char *const *attrs;  /* key, value, key, value, ..., NULL */
  /* ---- appended in ABI 1.4 (check VBX_HAS_MEMBER) ---- */
  int kind;                   /* vbx_span_kind */
  const char *status_message; /* why it failed, or NULL */
  const char *box;            /* the box it belongs to, or NULL */
  /* The type of each attribute value, one letter per key/value pair of
   * attrs: 's' string, 'i' integer (decimal text), 'd' double, 'b' bool
   * ("true"/"false"). NULL, or shorter than attrs: the rest are strings. */
  const char *attr_types;
} vbx_span_data;

/* ---- appended in ABI 1.4: metrics and log records ---- */

typedef enum vbx_metric_kind {
  VBX_METRIC_COUNTER = 1,  /* monotonic sum: `value` is an increment >= 0 */
  VBX_METRIC_GAUGE = 2,    /* `value` is the current value */
  VBX_METRIC_HISTOGRAM = 3 /* `value` is one observation */
} vbx_metric_kind;

/* One metric data point. Exporters aggregate (sum counters per attribute
 * set, bucket histogram observations, keep a gauge's last value). All
 * pointers borrowed for the callback's duration. */
typedef struct vbx_metric_data {
  uint32_t struct_size;
  const char *name;        /* OTel name: "gen_ai.client.token.usage" */
  const char *unit;        /* UCUM: "s", "By", "{token}"; may be NULL */
  const char *description; /* may be NULL */
  const char *plugin;      /* reporter: "voidbox" or the plugin's name */
  int kind;                /* vbx_metric_kind */
  double value;
  uint64_t time_ns;         /* CLOCK_REALTIME */
  const char *const *attrs; /* key, value, ..., NULL; may be NULL */
} vbx_metric_data;

/* One log record. Trace ids are 0 when it was written outside any span. */
typedef struct vbx_log_data {
  uint32_t struct_size;
  uint64_t time_ns; /* CLOCK_REALTIME */
  vbx_log_level level;
  const char *origin; /* "voidbox" or the plugin's name */
  const char *box;    /* the box it concerns, or NULL */
  const char *body;
  uint64_t trace_id_hi, trace_id_lo, span_id;
} vbx_log_data;

/* An exporter instance lives for one run. The host queues the run's events,
 * spans, metric points and log records for each instance (bounded; what
 * does not fit is dropped and counted, so a slow exporter never slows a
 * box) and delivers them from one thread per instance, one call at a
 * time, in the order they were produced: the on_* methods are never called
 * concurrently for one instance and never from a box's thread. flush is
 * called once at the end of the run after the queue drained, then destroy.
 * A delivery or flush call still running after 10 s counts as hung. */
typedef struct vbx_exporter_vtable {
  uint32_t struct_size;
  const char *name;
  const char *description;
  uint32_t flags;
  int (*validate_options)(void *plugin_state, const vbx_json *options, vbx_call *call);
  int (*create)(void *plugin_state, const vbx_json *options, vbx_call *call, void **out);
  void (*destroy)(void *exporter);
  void (*on_event)(void *exporter, const vbx_event *ev);
  void (*on_span)(void *exporter, const vbx_span_data *span);
  int (*flush)(void *exporter, vbx_call *call);
  /* ---- appended in ABI 1.4 (optional) ---- */
  void (*on_metric)(void *exporter, const vbx_metric_data *metric);
  void (*on_log)(void *exporter, const vbx_log_data *record);
  /* Records this instance received but could not deliver (its own buffer
   * full, the destination unreachable or refusing them), so far. Called
   * once after flush, before destroy; the host adds it to the run's
   * dropped-telemetry count. Optional. */
  uint64_t (*dropped)(void *exporter);
} vbx_exporter_vtable;

/* ---- registration and the descriptor ----------------------------------- */

/* Valid only during init(): calls after init() returns fail with
 * VBX_E_STATE. Vtables are borrowed and must stay valid until fini(). A
 * name already registered for the same kind fails with VBX_E_EXISTS. */
typedef struct vbx_registrar {
  uint32_t struct_size;
  void *reg;
  int (*register_skill_type)(void *reg, const vbx_skill_type_vtable *vt);
  int (*register_llm_provider)(void *reg, const vbx_llm_provider_vtable *vt);
  int (*register_sandbox_backend)(void *reg, const vbx_sandbox_backend_vtable *vt);
  int (*register_exporter)(void *reg, const vbx_exporter_vtable *vt);
} vbx_registrar;

typedef struct vbx_plugin_descriptor {
  uint32_t magic;       /* VBX_PLUGIN_MAGIC */
  uint16_t abi_major;   /* VBX_ABI_MAJOR the plugin was built with */
  uint16_t abi_minor;   /* VBX_ABI_MINOR the plugin was built with */
  uint32_t struct_size; /* sizeof(vbx_plugin_descriptor) */
  uint32_t fingerprint; /* VBX_ABI_FINGERPRINT */
  const char *name;     /* unique, [a-z0-9-]+ */
  const char *version;  /* semver "1.2.3" */
  const char *license;  /* SPDX identifier */
  const char *description;
  /* Register what the plugin provides. *state is passed to vtable
   * create/validate calls and to fini. Return 0 or a VBX_E_* code; on
   * failure the host calls nothing else and unloads the plugin. init has no
   * vbx_call: report why it failed with host->set_error(NULL, code, NULL,
   * "..."), and the text becomes part of the load error. */
  int (*init)(const vbx_host_services *host, const vbx_registrar *reg, void **state);
  /* Release everything. Optional. */
  void (*fini)(void *state);
} vbx_plugin_descriptor;

typedef const vbx_plugin_descriptor *(*vbx_plugin_entry_fn)(void);

#if defined(__GNUC__)
#define VBX_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define VBX_PLUGIN_EXPORT
#endif

/* The entry point has C linkage in C++ too: its name is the unmangled
 * VBX_PLUGIN_ENTRY_SYMBOL. */
#ifdef __cplusplus
#define VBX_PLUGIN_EXTERN_C extern "C"
#else
#define VBX_PLUGIN_EXTERN_C
#endif

/* VBX_PLUGIN_DEFINE(name, version, license, description, init, fini)
 * Defines the plugin's descriptor and its single exported entry point. Use
 * it once per plugin, at file scope (in C or C++). Built-in plugins use it
 * too. */
#define VBX_PLUGIN_DEFINE(NAME, VERSION, LICENSE, DESCRIPTION, INIT, FINI)                        \
  static const vbx_plugin_descriptor vbx__plugin_descriptor = {                                   \
      VBX_PLUGIN_MAGIC,    VBX_ABI_MAJOR, VBX_ABI_MINOR, (uint32_t)sizeof(vbx_plugin_descriptor), \
      VBX_ABI_FINGERPRINT, NAME,          VERSION,       LICENSE,                                 \
      DESCRIPTION,         INIT,          FINI};                                                  \
  VBX_PLUGIN_EXTERN_C VBX_PLUGIN_EXPORT const vbx_plugin_descriptor *vbx_plugin_entry_v1(void);   \
  VBX_PLUGIN_EXTERN_C VBX_PLUGIN_EXPORT const vbx_plugin_descriptor *vbx_plugin_entry_v1(void) {  \
    return &vbx__plugin_descriptor;                                                               \
  }

#ifdef __cplusplus
}
#endif
#endif /* VOIDBOX_PLUGIN_H */
