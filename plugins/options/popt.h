/*
 * options/popt.h - checking one plugin option value from the host's JSON,
 * with the error set on the call: the field is the spec key (so the CLI
 * points at its line) and the message names the value the way the calling
 * plugin family does. The one validator of the sandbox backends
 * (guest-session's policy keys, sandbox-local, sandbox-qemu, sandbox-mock),
 * the skills (skill-file) and the LLM providers (llm-common).
 *
 * Three wordings (vbx_popt.precise):
 *   terse    one message stating the whole rule, whatever is wrong:
 *            "sandbox option 'uid' must be an integer in 0..4294967294"
 *   precise  what is wrong with this value:
 *            "commands[0].exit_code must be an integer",
 *            "commands[0].exit_code is 300, must be 0..255",
 *            "commands[0].stdout is 70000 bytes, over the 65536-byte limit"
 *            (that one with VBX_E_TOOBIG)
 *   between  the LLM providers': a string's whole rule as terse, an
 *            integer's fault as precise but with the range spelt out:
 *            "option 'pricing_file' must be a non-empty string",
 *            "option 'max_tokens' must be an integer",
 *            "option 'max_tokens' must be between 1 and 1000000 (got 0)"
 *
 * Threads: each function touches only its arguments and the call.
 */
#ifndef VBX_PLUGIN_POPT_H
#define VBX_PLUGIN_POPT_H

#include <stddef.h>
#include <stdint.h>

#include "voidbox/plugin.h"

/* The wordings, for vbx_popt.precise. */
#define VBX_POPT_TERSE 0
#define VBX_POPT_PRECISE 1
#define VBX_POPT_BETWEEN 2

/* Where and how a refused value is reported. */
typedef struct vbx_popt {
  const vbx_host_services *h;
  vbx_call *call;
  const char *field; /* the error's field: the spec key (may be NULL) */
  const char *what;  /* the value's name in messages */
  int code;          /* the code of a refused value: VBX_E_SPEC, VBX_E_INVAL */
  int precise;       /* the wording: VBX_POPT_TERSE (0), _PRECISE (1), _BETWEEN */
} vbx_popt;

/* vbx_popt_option - the checker of plugin option `key` as providers and
 * exporters word it: "option 'KEY' must be ... between ...", VBX_E_INVAL
 * at the key. `what` (cap bytes, the caller's) holds the name and must
 * outlive the returned value. */
vbx_popt vbx_popt_option(const vbx_host_services *h, vbx_call *call, const char *key, char *what,
                         size_t cap);

/* vbx_popt_string - v must be a string of min_len..max_len bytes; *out
 * (freed first when set) gets a malloc'd, NUL-terminated copy. Returns 0,
 * o->code (VBX_E_TOOBIG for a precise "over the limit"), or VBX_E_NOMEM,
 * set on the call. *out is untouched on error. */
int vbx_popt_string(const vbx_popt *o, const vbx_json *v, size_t min_len, size_t max_len,
                    char **out);
/* vbx_popt_int - v must be an integer in lo..hi; into *out. 0 or o->code
 * set on the call (*out untouched). */
int vbx_popt_int(const vbx_popt *o, const vbx_json *v, int64_t lo, int64_t hi, int64_t *out);
/* vbx_popt_bool - v must be true or false: "WHAT must be true or false";
 * *out gets 1 or 0. 0 or o->code set on the call. */
int vbx_popt_bool(const vbx_popt *o, const vbx_json *v, int *out);
/* vbx_popt_none - for a plugin that takes no options: when `options` is a
 * map with a key, VBX_E_INVAL "WHO takes no option `KEY`" at that key;
 * else 0 (no options, or not a map: the host checks the shape). */
int vbx_popt_none(const vbx_host_services *h, const vbx_json *options, const char *who,
                  vbx_call *call);

#endif
