/*
 * voidbox/voidbox.h - the embedding API.
 *
 * Build boxes and pipelines in C (or load them from a spec file), run them
 * on a runtime that has loaded plugins, and read the results:
 *
 *   vbx_runtime *rt;
 *   vbx_error err = {0};
 *   vbx_runtime_new(NULL, &rt, &err);
 *   vbx_box *a = vbx_box_new("analyst");
 *   vbx_box_prompt(a, "Summarise the data");
 *   vbx_box_llm(a, "mock", NULL);
 *   vbx_box_llm_option(a, "script", "\"analyst.yaml\"");
 *   vbx_pipeline *p = vbx_pipeline_named("demo");
 *   vbx_pipeline_pipe(p, a);
 *   vbx_result *res;
 *   vbx_pipeline_run(rt, p, NULL, &res, &err);
 *   printf("%s\n", vbx_result_text(res));
 *
 * Builder calls return their first argument so they can be nested; the
 * first error a builder call meets is kept in the object and reported by
 * vbx_pipeline_run / vbx_pipeline_check.
 *
 * Threads: a runtime may run several pipelines from different threads at
 * once. Boxes and pipelines are not thread-safe while being built; a
 * pipeline being run must not be modified. vbx_runtime_cancel is
 * async-signal-safe.
 */
#ifndef VOIDBOX_VOIDBOX_H
#define VOIDBOX_VOIDBOX_H

#include <stddef.h>
#include <stdint.h>

#include "voidbox/errors.h"
#include "voidbox/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define VBX_API __attribute__((visibility("default")))
#else
#define VBX_API
#endif

typedef struct vbx_runtime vbx_runtime;
typedef struct vbx_box vbx_box;
typedef struct vbx_pipeline vbx_pipeline;
typedef struct vbx_result vbx_result;
typedef struct vbx_box_result vbx_box_result;

/* Error report: a code, and a message that names the file, line and column
 * when the error comes from a spec file. */
typedef struct vbx_error {
  int code;           /* 0 or VBX_E_* */
  char file[512];     /* spec file, or "" */
  int line;           /* 1-based, 0 when unknown */
  int column;         /* 1-based, 0 when unknown */
  char message[1024]; /* "FILE:LINE:COLUMN: message" when positioned */
} vbx_error;

/* ---- runtime ----------------------------------------------------------- */

typedef void (*vbx_log_fn)(void *user, vbx_log_level level, const char *origin,
                           const char *message);

typedef struct vbx_runtime_options {
  uint32_t struct_size;
  const char *const *plugin_paths; /* explicit plugin files, NULL-terminated */
  int skip_plugin_dir;             /* 1: do not load the install's plugin directory */
  const char *plugin_dir;          /* override the plugin directory (NULL: built-in) */
  int log_level_set;               /* 0: default level VBX_LOG_WARN */
  vbx_log_level log_level;         /* used when log_level_set is 1 */
  vbx_log_fn log_fn;               /* NULL: stderr */
  void *log_user;
  const char *const *config; /* "key=value" host settings, NULL-terminated */
  /* ---- appended with plugin ABI 1.4; read only when struct_size covers them ---- */
  int log_format; /* vbx_log_format, for the stderr sink (log_fn NULL) */
} vbx_runtime_options;

/* How the stderr log sink writes a line. */
typedef enum vbx_log_format {
  VBX_LOG_FORMAT_TEXT = 0, /* "[box:NAME] origin: level: message" */
  VBX_LOG_FORMAT_JSON = 1  /* one JSON object per line, with trace_id and span_id */
} vbx_log_format;

/* Create a runtime: load and check every plugin, call their init, then
 * freeze the registry. opts may be NULL (defaults: the install's plugin
 * directory, log level warn, logs to stderr). On failure *out is NULL and
 * err says which plugin failed and why. The caller frees the runtime with
 * vbx_runtime_free. */
VBX_API int vbx_runtime_new(const vbx_runtime_options *opts, vbx_runtime **out, vbx_error *err);

/* Cancel every run in progress (they end with VBX_STATUS_CANCELLED, keeping
 * partial results). Async-signal-safe; may be called from any thread. */
VBX_API void vbx_runtime_cancel(vbx_runtime *rt);

/* Call every plugin's fini and unload them. No run may be in progress. */
VBX_API void vbx_runtime_free(vbx_runtime *rt);

/* The version of libvoidbox ("0.1.0"); static. */
VBX_API const char *vbx_version(void);

/* vbx_strerror - the fixed name of an error code ("VBX_E_NOMEM") followed by
 * a short English description. Never NULL; unknown codes give "unknown error".
 * The returned string is static. Thread-safe. (Embedding API only: plugins
 * do not link libvoidbox; errors.h has the codes.) */
VBX_API const char *vbx_strerror(int code);

/* ---- boxes ------------------------------------------------------------- */

/* A new box with defaults: sandbox "mock", 512 MiB, 1 vCPU, no network,
 * 10 turns. Owned by the caller until given to a pipeline. */
VBX_API vbx_box *vbx_box_new(const char *name);
VBX_API vbx_box *vbx_box_prompt(vbx_box *box, const char *prompt);
/* "TYPE:VALUE" (e.g. "file:skills/analyst/SKILL.md"). */
VBX_API vbx_box *vbx_box_skill(vbx_box *box, const char *skill);
VBX_API vbx_box *vbx_box_llm(vbx_box *box, const char *provider, const char *model);
/* Endpoint of the provider (NULL: the provider's default). */
VBX_API vbx_box *vbx_box_llm_base_url(vbx_box *box, const char *base_url);
/* Name of the environment variable holding the API key (NULL: the
 * provider's default, e.g. ANTHROPIC_API_KEY). The key itself never enters
 * the box's sandbox. */
VBX_API vbx_box *vbx_box_llm_api_key_env(vbx_box *box, const char *env_name);
/* Provider-specific option; value is JSON text ("\"x\"", "3", "true"). */
VBX_API vbx_box *vbx_box_llm_option(vbx_box *box, const char *key, const char *json_value);
VBX_API vbx_box *vbx_box_sandbox(vbx_box *box, const char *backend);
VBX_API vbx_box *vbx_box_sandbox_option(vbx_box *box, const char *key, const char *json_value);
VBX_API vbx_box *vbx_box_memory_mb(vbx_box *box, uint32_t mb);
VBX_API vbx_box *vbx_box_vcpus(vbx_box *box, uint32_t vcpus);
/* Size of the box's writable storage (/tmp and /workspace together), MiB;
 * default 256. Writes past it fail with ENOSPC inside the box. */
VBX_API vbx_box *vbx_box_disk_mb(vbx_box *box, uint32_t mb);
/* Network: 0 none; 1 the default egress policy (docs/network.md). */
VBX_API vbx_box *vbx_box_network(vbx_box *box, int enabled);
/* Network with an egress policy, the JSON form of the spec's
 * `sandbox.network` map ({"allow":[..],"deny":[..],"dns":[..],
 * "max_connections":N,"rate_limit_kbps":N}); copied. A bad policy fails
 * the box (VBX_E_INVAL naming the entry). */
VBX_API vbx_box *vbx_box_network_policy(vbx_box *box, const char *policy_json);
VBX_API vbx_box *vbx_box_env(vbx_box *box, const char *key, const char *value);
VBX_API vbx_box *vbx_box_max_turns(vbx_box *box, uint32_t turns);
VBX_API vbx_box *vbx_box_timeout_secs(vbx_box *box, uint32_t secs);
/* Base directory for relative paths in skills and options (default "."). */
VBX_API vbx_box *vbx_box_base_dir(vbx_box *box, const char *dir);
VBX_API void vbx_box_free(vbx_box *box);

/* ---- pipelines --------------------------------------------------------- */

VBX_API vbx_pipeline *vbx_pipeline_named(const char *name);
/* Append a sequential stage running `box`; the pipeline takes ownership. */
VBX_API vbx_pipeline *vbx_pipeline_pipe(vbx_pipeline *p, vbx_box *box);
/* Append a parallel stage of n boxes; the pipeline takes ownership of each. */
VBX_API vbx_pipeline *vbx_pipeline_fan_out(vbx_pipeline *p, vbx_box *const *boxes, size_t n);
/* Whether a failed box of the last fan_out stage cancels its siblings still
 * running (on, the default) or lets them finish (off). Records an error when
 * the last stage is not a fan_out. */
VBX_API vbx_pipeline *vbx_pipeline_fail_fast(vbx_pipeline *p, int on);
/* At most n boxes of a fan_out stage run at once (a pool of n threads takes
 * the boxes in declaration order); 0, the default, is the number of online
 * CPUs times 4. Records an error past VBX_MAX_PARALLEL_LIMIT. */
#define VBX_MAX_PARALLEL_LIMIT 4096u
VBX_API vbx_pipeline *vbx_pipeline_max_parallel(vbx_pipeline *p, unsigned n);
VBX_API void vbx_pipeline_free(vbx_pipeline *p);

/* Load a spec file (YAML or JSON; kind agent or pipeline). An agent spec
 * becomes a one-stage pipeline. On error err carries FILE:LINE:COLUMN. */
VBX_API int vbx_pipeline_load_file(const char *path, vbx_pipeline **out, vbx_error *err);

/* Check a pipeline against the runtime's registry: every backend, provider
 * and skill type exists and accepts its options. Runs nothing. */
VBX_API int vbx_pipeline_check(vbx_runtime *rt, const vbx_pipeline *p, vbx_error *err);

/* ---- running ----------------------------------------------------------- */

typedef enum vbx_output_kind {
  VBX_OUT_TEXT = 1,        /* model text */
  VBX_OUT_TOOL_STDOUT = 2, /* a tool's stdout inside the sandbox */
  VBX_OUT_TOOL_STDERR = 3
} vbx_output_kind;

/* Streaming output of one box, in the order it was produced. Called from
 * the box's thread; boxes of a fan-out call it concurrently. */
typedef void (*vbx_stream_fn)(void *user, const char *box, vbx_output_kind kind, const char *data,
                              size_t len);
/* Runtime events (see vbx_event in plugin.h). Called from the thread that
 * produced the event, concurrently for fan-out boxes. */
typedef void (*vbx_event_fn)(void *user, const vbx_event *ev);

/* A box finished (OK, failed or cancelled): its complete result, borrowed
 * for the call, with the stage index and its index in the stage. Called
 * from the box's thread right before its VBX_EV_BOX_FINISHED event. */
/* A finished span (see vbx_span_data in plugin.h). */
typedef void (*vbx_span_fn)(void *user, const vbx_span_data *span);

typedef void (*vbx_box_done_fn)(void *user, size_t stage, size_t index, const vbx_box_result *box);

typedef struct vbx_run_options {
  uint32_t struct_size;
  const char *input; /* input to the first stage, may be NULL */
  vbx_stream_fn on_stream;
  vbx_event_fn on_event;
  void *user;
  vbx_box_done_fn on_box_done; /* may be NULL */
  /* ---- appended with plugin ABI 1.4; read only when struct_size covers them ---- */
  /* Every finished span of the run (the runtime's and its plugins'), called
   * on the thread that ended it, possibly concurrently; data borrowed for
   * the call. May be NULL. */
  vbx_span_fn on_span;
  /* A W3C traceparent ("00-<trace>-<span>-<flags>") the run's root span
   * continues, or NULL for a new trace. A malformed value is an error. */
  const char *traceparent;
} vbx_run_options;

/* Run a pipeline to completion, failure or cancellation. Returns 0 when the
 * run happened (check vbx_result_status) or a negative code when it could
 * not start (spec/plugin errors, in err). *out is set whenever a run
 * happened, including failed and cancelled runs, and is freed with
 * vbx_result_free. */
VBX_API int vbx_pipeline_run(vbx_runtime *rt, const vbx_pipeline *p, const vbx_run_options *opts,
                             vbx_result **out, vbx_error *err);

/* ---- results ----------------------------------------------------------- */

VBX_API vbx_status vbx_result_status(const vbx_result *r);
/* Output of the last stage (fan-out outputs merged). Never NULL. */
VBX_API const char *vbx_result_text(const vbx_result *r);
VBX_API const char *vbx_result_error(const vbx_result *r); /* NULL if none */
VBX_API uint64_t vbx_result_input_tokens(const vbx_result *r);
VBX_API uint64_t vbx_result_output_tokens(const vbx_result *r);
VBX_API double vbx_result_cost_usd(const vbx_result *r);
VBX_API uint64_t vbx_result_duration_ns(const vbx_result *r);
/* The W3C trace id of the run (32 hex digits; "" for a result read back
 * from JSON without one). Owned by the result. */
VBX_API const char *vbx_result_trace_id(const vbx_result *r);
/* Telemetry records (events, spans, metric points, logs) the run's
 * exporters did not receive because their queue was full or they did not
 * drain in time, summed over exporters. */
VBX_API uint64_t vbx_result_telemetry_dropped(const vbx_result *r);
VBX_API size_t vbx_result_stage_count(const vbx_result *r);
VBX_API const char *vbx_result_stage_name(const vbx_result *r, size_t stage);
VBX_API size_t vbx_result_box_count(const vbx_result *r, size_t stage);
VBX_API const vbx_box_result *vbx_result_box(const vbx_result *r, size_t stage, size_t idx);
/* The whole report as JSON text (see docs/cli.md); free with vbx_free. */
VBX_API char *vbx_result_to_json(const vbx_result *r);
/* Read a report made by vbx_result_to_json back into a result (durations
 * keep millisecond precision). On error *out is NULL and err names the
 * offending JSON path. Free the result with vbx_result_free. */
VBX_API int vbx_result_from_json(const char *json, size_t len, vbx_result **out, vbx_error *err);
VBX_API void vbx_result_free(vbx_result *r);

VBX_API const char *vbx_box_result_name(const vbx_box_result *b);
VBX_API vbx_status vbx_box_result_status(const vbx_box_result *b);
VBX_API const char *vbx_box_result_output(const vbx_box_result *b);
VBX_API const char *vbx_box_result_error(const vbx_box_result *b);
VBX_API uint32_t vbx_box_result_turns(const vbx_box_result *b);
VBX_API uint64_t vbx_box_result_input_tokens(const vbx_box_result *b);
VBX_API uint64_t vbx_box_result_output_tokens(const vbx_box_result *b);
VBX_API double vbx_box_result_cost_usd(const vbx_box_result *b);
VBX_API uint64_t vbx_box_result_duration_ns(const vbx_box_result *b);
VBX_API size_t vbx_box_result_tool_call_count(const vbx_box_result *b);
/* i-th tool call; any out pointer may be NULL. Strings owned by the result. */
VBX_API int vbx_box_result_tool_call(const vbx_box_result *b, size_t i, const char **name,
                                     const char **input, const char **output,
                                     uint64_t *duration_ns);

/* One box's entry of the report as compact JSON text; free with vbx_free. */
VBX_API char *vbx_box_result_to_json(const vbx_box_result *b);

/* Name of a status ("ok", "failed", "cancelled", ...); static. */
VBX_API const char *vbx_status_name(vbx_status s);
/* Free memory returned by the API (vbx_result_to_json). */
VBX_API void vbx_free(void *p);

#ifdef __cplusplus
}
#endif
#endif /* VOIDBOX_VOIDBOX_H */
