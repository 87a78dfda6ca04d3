/*
 * util/errname.c - the names and descriptions of the VBX_E_* codes: the
 * text behind vbx_strerror (errors.h; libvoidbox's public function is a
 * wrapper of vbx__error_text) and the name <-> code mapping of reports.
 */
#include "voidbox/errors.h"

#include <string.h>

#include "util/error.h"
#include "voidbox/voidbox.h"

typedef struct code_text {
  int code;
  const char *text; /* "NAME: description" */
} code_text;

static const code_text k_codes[] = {
    {VBX_OK, "VBX_OK: success"},
    {VBX_E_GENERIC, "VBX_E_GENERIC: failure"},
    {VBX_E_NOMEM, "VBX_E_NOMEM: out of memory"},
    {VBX_E_INVAL, "VBX_E_INVAL: invalid argument"},
    {VBX_E_UNSUPPORTED, "VBX_E_UNSUPPORTED: not supported"},
    {VBX_E_NOTFOUND, "VBX_E_NOTFOUND: not found"},
    {VBX_E_EXISTS, "VBX_E_EXISTS: already exists"},
    {VBX_E_STATE, "VBX_E_STATE: not allowed in this state"},
    {VBX_E_IO, "VBX_E_IO: input/output error"},
    {VBX_E_TIMEOUT, "VBX_E_TIMEOUT: timed out"},
    {VBX_E_CANCELLED, "VBX_E_CANCELLED: cancelled"},
    {VBX_E_SPEC, "VBX_E_SPEC: invalid spec"},
    {VBX_E_ABI, "VBX_E_ABI: plugin ABI mismatch"},
    {VBX_E_PLUGIN, "VBX_E_PLUGIN: plugin failure"},
    {VBX_E_LIMIT, "VBX_E_LIMIT: limit reached"},
    {VBX_E_PERM, "VBX_E_PERM: refused"},
    {VBX_E_PROVIDER, "VBX_E_PROVIDER: LLM provider error"},
    {VBX_E_SANDBOX, "VBX_E_SANDBOX: sandbox failure"},
    {VBX_E_TOOL, "VBX_E_TOOL: tool call failed"},
    {VBX_E_HTTP, "VBX_E_HTTP: HTTP transport failure"},
    {VBX_E_PROTOCOL, "VBX_E_PROTOCOL: malformed message"},
    {VBX_E_TOOBIG, "VBX_E_TOOBIG: length over its bound"},
    {VBX_E_AGAIN, "VBX_E_AGAIN: not ready"},
    {VBX_E_VERSION, "VBX_E_VERSION: version mismatch"},
    {VBX_E_AUTH, "VBX_E_AUTH: authentication failed"},
    {VBX_E_SANDBOX_LOST, "VBX_E_SANDBOX_LOST: the sandbox died"},
};
#define N_CODES (sizeof(k_codes) / sizeof(k_codes[0]))

const char *vbx__error_text(int code) {
  for (size_t i = 0; i < N_CODES; i++)
    if (k_codes[i].code == code) return k_codes[i].text;
  return "unknown error";
}

size_t vbx__error_name(int code, char *buf, size_t cap) {
  const char *full = vbx__error_text(code);
  if (strncmp(full, "VBX_", 4) != 0) full = "VBX_E_GENERIC:";
  size_t n = (size_t)(strchr(full, ':') - full);
  if (cap == 0) return n;
  size_t k = n < cap - 1 ? n : cap - 1;
  memcpy(buf, full, k);
  buf[k] = '\0';
  return n;
}

int vbx__error_code(const char *name) {
  size_t n = name ? strlen(name) : 0;
  for (size_t i = 0; n && i < N_CODES; i++)
    if (strncmp(k_codes[i].text, name, n) == 0 && k_codes[i].text[n] == ':') return k_codes[i].code;
  return VBX_E_GENERIC;
}
