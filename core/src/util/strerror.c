#include "voidbox/errors.h"

#include "voidbox/voidbox.h"

VBX_API const char *vbx_strerror(int code) {
  switch (code) {
  case VBX_OK: return "VBX_OK: success";
  case VBX_E_GENERIC: return "VBX_E_GENERIC: failure";
  case VBX_E_NOMEM: return "VBX_E_NOMEM: out of memory";
  case VBX_E_INVAL: return "VBX_E_INVAL: invalid argument";
  case VBX_E_UNSUPPORTED: return "VBX_E_UNSUPPORTED: not supported";
  case VBX_E_NOTFOUND: return "VBX_E_NOTFOUND: not found";
  case VBX_E_EXISTS: return "VBX_E_EXISTS: already exists";
  case VBX_E_STATE: return "VBX_E_STATE: not allowed in this state";
  case VBX_E_IO: return "VBX_E_IO: input/output error";
  case VBX_E_TIMEOUT: return "VBX_E_TIMEOUT: timed out";
  case VBX_E_CANCELLED: return "VBX_E_CANCELLED: cancelled";
  case VBX_E_SPEC: return "VBX_E_SPEC: invalid spec";
  case VBX_E_ABI: return "VBX_E_ABI: plugin ABI mismatch";
  case VBX_E_PLUGIN: return "VBX_E_PLUGIN: plugin failure";
  case VBX_E_LIMIT: return "VBX_E_LIMIT: limit reached";
  case VBX_E_PERM: return "VBX_E_PERM: refused";
  case VBX_E_PROVIDER: return "VBX_E_PROVIDER: LLM provider error";
  case VBX_E_SANDBOX: return "VBX_E_SANDBOX: sandbox failure";
  case VBX_E_TOOL: return "VBX_E_TOOL: tool call failed";
  case VBX_E_HTTP: return "VBX_E_HTTP: HTTP transport failure";
  case VBX_E_PROTOCOL: return "VBX_E_PROTOCOL: malformed message";
  case VBX_E_TOOBIG: return "VBX_E_TOOBIG: length over its bound";
  case VBX_E_AGAIN: return "VBX_E_AGAIN: not ready";
  case VBX_E_VERSION: return "VBX_E_VERSION: version mismatch";
  case VBX_E_AUTH: return "VBX_E_AUTH: authentication failed";
  case VBX_E_SANDBOX_LOST: return "VBX_E_SANDBOX_LOST: the sandbox died";
  default: return "unknown error";
  }
}
