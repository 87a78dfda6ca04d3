/*
 * skill-mcp/rpc.c - the JSON-RPC 2.0 peer (mcp_rpc.h): ids, the pending
 * table, the read loop that sorts what the server sends into responses,
 * requests and notifications, and the one fatal path.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcp_frame.h"
#include "mcp_rpc.h"

#define READ_CHUNK 65536
#define SLICE_MS 200     /* longest single wait, between cancellation checks */
#define ANSWER_MS 5000   /* bound on writing an answer or a notification */
#define ABANDONED_MAX 64 /* late responses recognised */
#define BATCH_MAX 64     /* messages in one JSON array */
#define LOG_TEXT_MAX 300 /* bytes of a server's text quoted in a message */
#define NO_ID ((int64_t)(-1))
#define OWN_TIMEOUT 1                     /* pump_once: the caller's deadline passed */
#define WRITE_FAIL_DRAIN_NS 1000000000ull /* reading a dead server's end after a failed write */

enum { SLOT_FREE = 0, SLOT_WAIT, SLOT_DONE };

typedef struct slot {
  int state;
  int64_t id;
  char method[48];
  json_t *msg; /* the response once DONE */
} slot;

struct vbx_mcp_rpc {
  char name[64];
  vbx_mcp_transport t;
  size_t max_line;
  vbx_mcp_request_fn on_request;
  vbx_mcp_notify_fn on_notify;
  vbx_mcp_log_fn log;
  void *user;
  vbx_mcp_framer fr;
  int64_t next_id;
  slot pend[VBX_MCP_PENDING_MAX];
  int64_t abandoned[ABANDONED_MAX];
  size_t n_abandoned;
  int dead;
  int err_code;
  size_t received;
  char err[1600];
  char rbuf[READ_CHUNK];
};

/* ---- messages ------------------------------------------------------------ */

static void logf_(vbx_mcp_rpc *rpc, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void logf_(vbx_mcp_rpc *rpc, int level, const char *fmt, ...) {
  if (rpc->log == NULL) return;
  char msg[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  rpc->log(rpc->user, level, msg);
}

/* Set the message "mcp server 'NAME': METHOD: TEXT" and return code. A dead
 * peer keeps the message that killed it. */
static int fail(vbx_mcp_rpc *rpc, int code, const char *method, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(vbx_mcp_rpc *rpc, int code, const char *method, const char *fmt, ...) {
  if (rpc->dead) return rpc->dead;
  int n = snprintf(rpc->err, sizeof rpc->err, "mcp server '%s': %s: ", rpc->name,
                   method ? method : "(no request)");
  if (n < 0 || (size_t)n >= sizeof rpc->err) return code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(rpc->err + n, sizeof rpc->err - (size_t)n, fmt, ap);
  va_end(ap);
  return code;
}

/* Make the peer dead with that message and kill the server. */
static int fatal(vbx_mcp_rpc *rpc, int code, const char *method, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fatal(vbx_mcp_rpc *rpc, int code, const char *method, const char *fmt, ...) {
  if (rpc->dead) return rpc->dead;
  char text[1300];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  fail(rpc, code, method, "%s", text);
  rpc->dead = code;
  if (rpc->t.kill) rpc->t.kill(rpc->t.ctx);
  logf_(rpc, 3, "%s", rpc->err);
  return code;
}

/* The transport's account of the server's end, "" when it has none. */
static void describe(vbx_mcp_rpc *rpc, char *buf, size_t cap) {
  buf[0] = '\0';
  if (rpc->t.describe) rpc->t.describe(rpc->t.ctx, buf, cap);
}

/* Up to LOG_TEXT_MAX bytes of s, control bytes as '?', "..." when cut. */
static void excerpt(const char *s, size_t len, char *buf, size_t cap) {
  size_t n = len < LOG_TEXT_MAX ? len : LOG_TEXT_MAX;
  if (n + 4 > cap) n = cap > 4 ? cap - 4 : 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    buf[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
  }
  strcpy(buf + n, n < len ? "..." : "");
}

/* ---- writing ------------------------------------------------------------- */

/* Write msg (stolen) as one line. A write that fails or times out leaves
 * the stream unusable: fatal. */
static int pump_once(vbx_mcp_rpc *rpc, uint64_t deadline_ns, const char *ctx);

/* A write refused because the server already exited races with reading
 * its end: read what is left (bounded) so the failure names how it ended
 * ("the server ended (it exited with status 7; last stderr: ...)") either
 * way. Non-zero when that made the session dead. */
static int drain_after_failed_write(vbx_mcp_rpc *rpc, const char *method) {
  uint64_t until = vbx_mcp_now_ns() + WRITE_FAIL_DRAIN_NS;
  for (;;) {
    int rc = pump_once(rpc, until, method);
    if (rpc->dead) return 1;
    if (rc != 0 && rc != VBX_E_AGAIN) return 0;
  }
}

static int write_msg(vbx_mcp_rpc *rpc, json_t *msg, const char *method, uint64_t deadline_ns) {
  if (rpc->dead) {
    json_decref(msg);
    return rpc->dead;
  }
  char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
  json_decref(msg);
  if (text == NULL) return fail(rpc, VBX_E_NOMEM, method, "out of memory");
  size_t len = strlen(text);
  if (len > rpc->max_line) {
    free(text);
    return fail(rpc, VBX_E_TOOBIG, method, "the request is %zu bytes, over the %zu-byte bound", len,
                rpc->max_line);
  }
  text[len] = '\n'; /* json_dumps's NUL becomes the frame's newline */
  int rc = rpc->t.write(rpc->t.ctx, text, len + 1, deadline_ns);
  free(text);
  if (rc == 0) return 0;
  if (rc != VBX_E_CANCELLED && rc != VBX_E_TIMEOUT && rc != VBX_E_SANDBOX_LOST &&
      drain_after_failed_write(rpc, method) != 0)
    return rpc->dead; /* the server had ended: said as a read says it */
  char why[1100];
  describe(rpc, why, sizeof why);
  if (rc == VBX_E_CANCELLED) return fatal(rpc, rc, method, "cancelled while writing to the server");
  if (rc == VBX_E_TIMEOUT)
    return fatal(rpc, rc, method, "the server does not read its input (a write timed out)%s%s",
                 why[0] ? "; " : "", why);
  return fatal(rpc, rc, method, "cannot write to the server%s%s", why[0] ? ": " : "",
               why[0] ? why : "its input is closed");
}

static json_t *envelope(void) { return json_pack("{s:s}", "jsonrpc", "2.0"); }

/* ---- the pending table ----------------------------------------------- */

static slot *find_slot(vbx_mcp_rpc *rpc, int64_t id) {
  for (size_t i = 0; i < VBX_MCP_PENDING_MAX; i++)
    if (rpc->pend[i].state != SLOT_FREE && rpc->pend[i].id == id) return &rpc->pend[i];
  return NULL;
}

static void free_slot(slot *s) {
  json_decref(s->msg);
  memset(s, 0, sizeof *s);
}

static int was_abandoned(const vbx_mcp_rpc *rpc, int64_t id) {
  size_t n = rpc->n_abandoned < ABANDONED_MAX ? rpc->n_abandoned : ABANDONED_MAX;
  for (size_t i = 0; i < n; i++)
    if (rpc->abandoned[i] == id) return 1;
  return 0;
}

/* ---- reading ----------------------------------------------------------- */

/* The id of a message as text, for messages. */
static void id_text(const json_t *id, char *buf, size_t cap) {
  if (json_is_integer(id))
    snprintf(buf, cap, "%lld", (long long)json_integer_value(id));
  else if (json_is_string(id) && cap > 2) {
    buf[0] = '"';
    excerpt(json_string_value(id), json_string_length(id), buf + 1, cap - 2);
    strcat(buf, "\"");
  } else
    snprintf(buf, cap, "%s", id == NULL ? "(none)" : json_is_null(id) ? "null" : "(not a scalar)");
}

static int answer(vbx_mcp_rpc *rpc, const json_t *id, const char *method, const json_t *params,
                  const char *ctx) {
  json_t *result = NULL;
  char msg[300] = "";
  int code = VBX_MCP_METHOD_NOT_FOUND;
  if (rpc->on_request) code = rpc->on_request(rpc->user, method, params, &result, msg, sizeof msg);
  if (code != 0 && msg[0] == '\0') snprintf(msg, sizeof msg, "Method not found: %.200s", method);
  json_t *r = envelope();
  if (r == NULL || json_object_set(r, "id", (json_t *)id) != 0 ||
      (code == 0 && json_object_set_new(r, "result", result ? result : json_object()) != 0) ||
      (code != 0 && json_object_set_new(
                        r, "error", json_pack("{s:i,s:s}", "code", code, "message", msg)) != 0)) {
    if (code != 0) json_decref(result);
    json_decref(r);
    return fatal(rpc, VBX_E_NOMEM, ctx, "out of memory");
  }
  if (code != 0) json_decref(result);
  logf_(rpc, 1, "mcp server '%s': answered its request %s%s", rpc->name, method,
        code ? " with an error" : "");
  return write_msg(rpc, r, ctx, vbx_mcp_deadline_ms(ANSWER_MS));
}

static int on_response(vbx_mcp_rpc *rpc, json_t *m, const json_t *id, const char *ctx) {
  int has_result = json_object_get(m, "result") != NULL;
  const json_t *err = json_object_get(m, "error");
  char idt[LOG_TEXT_MAX + 8];
  id_text(id, idt, sizeof idt);
  if (has_result == (err != NULL))
    return fatal(rpc, VBX_E_PROTOCOL, ctx,
                 "the response to id %s has %s (a JSON-RPC response has exactly one)", idt,
                 has_result ? "both result and error" : "neither result nor error");
  if (json_is_integer(id)) {
    int64_t n = json_integer_value(id);
    slot *s = find_slot(rpc, n);
    if (s != NULL && s->state == SLOT_WAIT) {
      s->msg = json_incref(m);
      s->state = SLOT_DONE;
      return 0;
    }
    if (s == NULL && was_abandoned(rpc, n)) {
      logf_(rpc, 1, "mcp server '%s': dropped the late response to request %lld", rpc->name,
            (long long)n);
      return 0;
    }
    if (s != NULL)
      return fatal(rpc, VBX_E_PROTOCOL, ctx, "the server answered request %s twice", idt);
  }
  if (json_is_null(id) && err != NULL) {
    const char *msg = json_string_value(json_object_get(err, "message"));
    char ex[LOG_TEXT_MAX + 8];
    excerpt(msg ? msg : "", msg ? strlen(msg) : 0, ex, sizeof ex);
    return fatal(rpc, VBX_E_PROTOCOL, ctx, "the server could not read a request: error %lld: %s",
                 (long long)json_integer_value(json_object_get(err, "code")), ex);
  }
  return fatal(rpc, VBX_E_PROTOCOL, ctx,
               "the server sent a response with id %s, which matches no request", idt);
}

/* One message (an object) from the server. */
static int on_message(vbx_mcp_rpc *rpc, json_t *m, const char *ctx) {
  rpc->received++;
  if (!json_is_object(m))
    return fatal(rpc, VBX_E_PROTOCOL, ctx, "a message in a batch is not a JSON object");
  const char *ver = json_string_value(json_object_get(m, "jsonrpc"));
  if (ver == NULL || strcmp(ver, "2.0") != 0)
    return fatal(rpc, VBX_E_PROTOCOL, ctx, "a message without \"jsonrpc\": \"2.0\"");
  const json_t *method = json_object_get(m, "method");
  const json_t *id = json_object_get(m, "id");
  const json_t *params = json_object_get(m, "params");
  if (method == NULL) {
    if (id == NULL)
      return fatal(rpc, VBX_E_PROTOCOL, ctx,
                   "a message that is neither a request, a notification nor a response");
    return on_response(rpc, m, id, ctx);
  }
  if (!json_is_string(method) || json_string_length(method) == 0 ||
      json_string_length(method) > 256)
    return fatal(rpc, VBX_E_PROTOCOL, ctx, "a message whose method is not a short string");
  const char *name = json_string_value(method);
  if (params != NULL && !json_is_object(params) && !json_is_array(params))
    return fatal(rpc, VBX_E_PROTOCOL, ctx, "%s: params must be an object", name);
  if (id == NULL) {
    logf_(rpc, 0, "mcp server '%s': notification %s", rpc->name, name);
    if (rpc->on_notify) rpc->on_notify(rpc->user, name, params);
    return 0;
  }
  if (!json_is_integer(id) && !json_is_string(id))
    return fatal(rpc, VBX_E_PROTOCOL, ctx, "request %s has an id that is not a string or integer",
                 name);
  if (json_is_string(id) && json_string_length(id) > 256)
    return fatal(rpc, VBX_E_PROTOCOL, ctx, "request %s has an id over 256 bytes", name);
  return answer(rpc, id, name, params, ctx);
}

static int on_line(vbx_mcp_rpc *rpc, const char *line, size_t len, const char *ctx) {
  json_error_t je;
  json_t *j = json_loadb(line, len, 0, &je);
  if (j == NULL) {
    char ex[LOG_TEXT_MAX + 8];
    excerpt(line, len, ex, sizeof ex);
    return fatal(rpc, VBX_E_PROTOCOL, ctx, "the server wrote a line that is not JSON (%s): %s",
                 je.text, ex);
  }
  int rc = 0;
  if (json_is_array(j)) {
    size_t n = json_array_size(j);
    if (n == 0 || n > BATCH_MAX)
      rc = fatal(rpc, VBX_E_PROTOCOL, ctx, "a batch of %zu messages (1..%d allowed)", n, BATCH_MAX);
    for (size_t i = 0; rc == 0 && i < n; i++)
      rc = on_message(rpc, json_array_get(j, i), ctx);
  } else {
    rc = on_message(rpc, j, ctx);
  }
  json_decref(j);
  return rc;
}

/* Read once (at most SLICE_MS, never past deadline_ns) and handle every
 * complete line. 0 after reading something, VBX_E_AGAIN when nothing came,
 * OWN_TIMEOUT once deadline_ns has passed (no message set), VBX_E_TIMEOUT
 * when the transport's own deadline passed, VBX_E_CANCELLED, or fatal. */
static int pump_once(vbx_mcp_rpc *rpc, uint64_t deadline_ns, const char *ctx) {
  if (rpc->dead) return rpc->dead;
  if (rpc->t.cancelled && rpc->t.cancelled(rpc->t.ctx))
    return fail(rpc, VBX_E_CANCELLED, ctx, "cancelled");
  uint32_t slice = vbx_mcp_left_ms(deadline_ns, SLICE_MS);
  if (deadline_ns != 0 && slice == 0) return OWN_TIMEOUT;
  size_t n = 0;
  int rc = rpc->t.read(rpc->t.ctx, rpc->rbuf, sizeof rpc->rbuf, &n, slice);
  if (rc == VBX_E_AGAIN) return VBX_E_AGAIN;
  if (rc == VBX_E_CANCELLED) return fail(rpc, VBX_E_CANCELLED, ctx, "cancelled");
  if (rc == VBX_E_TIMEOUT) return fail(rpc, rc, ctx, "the call's deadline passed");
  char why[1100];
  if (rc != 0) {
    describe(rpc, why, sizeof why);
    return fatal(rpc, rc, ctx, "reading from the server failed%s%s", why[0] ? ": " : "", why);
  }
  if (n == 0) {
    describe(rpc, why, sizeof why);
    return fatal(rpc, VBX_E_IO, ctx, "the server ended (%s)",
                 why[0] ? why : "it closed its output");
  }
  rc = vbx_mcp_framer_push(&rpc->fr, rpc->rbuf, n);
  if (rc == VBX_E_NOMEM) return fatal(rpc, rc, ctx, "out of memory");
  for (;;) {
    char *line;
    size_t len;
    if (rc == 0) rc = vbx_mcp_framer_next(&rpc->fr, &line, &len);
    if (rc == 0) return 0;
    if (rc < 0)
      return fatal(rpc, VBX_E_TOOBIG, ctx,
                   "the server sent a message over the %zu-byte bound (or no newline after it)",
                   rpc->max_line);
    if ((rc = on_line(rpc, line, len, ctx)) != 0) return rc;
  }
}

/* ---- the API ------------------------------------------------------------- */

int vbx_mcp_rpc_new(const vbx_mcp_rpc_config *cfg, vbx_mcp_rpc **out) {
  *out = NULL;
  vbx_mcp_rpc *rpc = calloc(1, sizeof *rpc);
  if (rpc == NULL) return VBX_E_NOMEM;
  snprintf(rpc->name, sizeof rpc->name, "%s", cfg->name ? cfg->name : "?");
  rpc->t = cfg->transport;
  rpc->max_line = cfg->max_line ? cfg->max_line : VBX_MCP_LINE_MAX;
  rpc->on_request = cfg->on_request;
  rpc->on_notify = cfg->on_notify;
  rpc->log = cfg->log;
  rpc->user = cfg->user;
  rpc->next_id = 1;
  vbx_mcp_framer_init(&rpc->fr, rpc->max_line);
  *out = rpc;
  return 0;
}

void vbx_mcp_rpc_free(vbx_mcp_rpc *rpc) {
  if (rpc == NULL) return;
  for (size_t i = 0; i < VBX_MCP_PENDING_MAX; i++)
    free_slot(&rpc->pend[i]);
  vbx_mcp_framer_free(&rpc->fr);
  free(rpc);
}

int vbx_mcp_rpc_send(vbx_mcp_rpc *rpc, const char *method, json_t *params, uint64_t deadline_ns,
                     int64_t *id) {
  *id = NO_ID;
  if (rpc->dead) {
    json_decref(params);
    return rpc->dead;
  }
  slot *s = NULL;
  for (size_t i = 0; s == NULL && i < VBX_MCP_PENDING_MAX; i++)
    if (rpc->pend[i].state == SLOT_FREE) s = &rpc->pend[i];
  if (s == NULL) {
    json_decref(params);
    return fail(rpc, VBX_E_LIMIT, method, "%d requests are already outstanding",
                VBX_MCP_PENDING_MAX);
  }
  int64_t n = rpc->next_id;
  json_t *m = json_pack("{s:s,s:I,s:s}", "jsonrpc", "2.0", "id", (json_int_t)n, "method", method);
  if (m == NULL) json_decref(params);
  if (m == NULL || (params != NULL && json_object_set_new(m, "params", params) != 0)) {
    json_decref(m);
    return fail(rpc, VBX_E_NOMEM, method, "out of memory");
  }
  rpc->next_id++;
  s->state = SLOT_WAIT;
  s->id = n;
  snprintf(s->method, sizeof s->method, "%s", method);
  int rc = write_msg(rpc, m, method, deadline_ns);
  if (rc != 0) {
    free_slot(s);
    return rc;
  }
  *id = n;
  return 0;
}

/* The error answer in s->msg as the last error; VBX_E_TOOL. */
static int error_answer(vbx_mcp_rpc *rpc, const slot *s) {
  const json_t *e = json_object_get(s->msg, "error");
  const json_t *code = json_object_get(e, "code");
  const char *msg = json_string_value(json_object_get(e, "message"));
  rpc->err_code = json_is_integer(code) ? (int)json_integer_value(code) : VBX_MCP_INTERNAL_ERROR;
  char ex[LOG_TEXT_MAX + 8];
  excerpt(msg ? msg : "(no message)", msg ? strlen(msg) : 12, ex, sizeof ex);
  return fail(rpc, VBX_E_TOOL, s->method, "the server answered with error %d: %s", rpc->err_code,
              ex);
}

static int wait_for(vbx_mcp_rpc *rpc, int64_t id, uint64_t deadline_ns, uint32_t timeout_ms,
                    json_t **result) {
  *result = NULL;
  slot *s = find_slot(rpc, id);
  if (s == NULL)
    return fail(rpc, VBX_E_NOTFOUND, NULL, "request %lld is not outstanding", (long long)id);
  for (;;) {
    if (s->state == SLOT_DONE) {
      int rc = 0;
      json_t *r = json_object_get(s->msg, "result");
      if (r != NULL)
        *result = json_incref(r);
      else
        rc = error_answer(rpc, s);
      free_slot(s);
      return rc;
    }
    int rc = pump_once(rpc, deadline_ns, s->method);
    if (rc == 0 || rc == VBX_E_AGAIN) continue;
    if (rc == OWN_TIMEOUT) {
      rc = VBX_E_TIMEOUT;
      if (timeout_ms >= 1000 && timeout_ms % 1000 == 0)
        return fail(rpc, rc, s->method, "no answer within %u s", timeout_ms / 1000);
      if (timeout_ms != 0) return fail(rpc, rc, s->method, "no answer within %u ms", timeout_ms);
      return fail(rpc, rc, s->method, "no answer before the deadline");
    }
    return rc;
  }
}

int vbx_mcp_rpc_wait(vbx_mcp_rpc *rpc, int64_t id, uint64_t deadline_ns, json_t **result) {
  return wait_for(rpc, id, deadline_ns, 0, result);
}

void vbx_mcp_rpc_abandon(vbx_mcp_rpc *rpc, int64_t id, const char *reason) {
  slot *s = find_slot(rpc, id);
  if (s == NULL) return;
  int is_init = strcmp(s->method, "initialize") == 0; /* never cancelled (MCP lifecycle) */
  free_slot(s);
  rpc->abandoned[rpc->n_abandoned++ % ABANDONED_MAX] = id;
  if (rpc->dead || is_init) return;
  json_t *p = json_pack("{s:I,s:s}", "requestId", (json_int_t)id, "reason", reason ? reason : "");
  if (p != NULL) vbx_mcp_rpc_notify(rpc, "notifications/cancelled", p, vbx_mcp_deadline_ms(1000));
}

int vbx_mcp_rpc_call(vbx_mcp_rpc *rpc, const char *method, json_t *params, uint32_t timeout_ms,
                     json_t **result) {
  *result = NULL;
  uint64_t deadline = vbx_mcp_deadline_ms(timeout_ms);
  int64_t id;
  int rc = vbx_mcp_rpc_send(rpc, method, params, deadline, &id);
  if (rc != 0) return rc;
  rc = wait_for(rpc, id, deadline, timeout_ms, result);
  if (rc == VBX_E_TIMEOUT || rc == VBX_E_CANCELLED) {
    char keep[sizeof rpc->err];
    memcpy(keep, rpc->err, sizeof keep);
    vbx_mcp_rpc_abandon(rpc, id, rc == VBX_E_TIMEOUT ? "timeout" : "cancelled");
    memcpy(rpc->err, keep, sizeof keep); /* the timeout says more than a failed cancel */
  }
  return rc;
}

int vbx_mcp_rpc_notify(vbx_mcp_rpc *rpc, const char *method, json_t *params, uint64_t deadline_ns) {
  json_t *m = json_pack("{s:s,s:s}", "jsonrpc", "2.0", "method", method);
  if (m == NULL) json_decref(params);
  if (m == NULL || (params != NULL && json_object_set_new(m, "params", params) != 0)) {
    json_decref(m);
    return fail(rpc, VBX_E_NOMEM, method, "out of memory");
  }
  return write_msg(rpc, m, method, deadline_ns);
}

int vbx_mcp_rpc_pump(vbx_mcp_rpc *rpc, uint64_t deadline_ns) {
  for (;;) {
    int rc = pump_once(rpc, deadline_ns, NULL);
    if (rc == OWN_TIMEOUT) return 0;
    if (rc != 0 && rc != VBX_E_AGAIN) return rc;
    if (deadline_ns == 0 && rc == VBX_E_AGAIN) return 0;
  }
}

const char *vbx_mcp_rpc_error(const vbx_mcp_rpc *rpc) { return rpc->err; }
int vbx_mcp_rpc_error_code(const vbx_mcp_rpc *rpc) { return rpc->err_code; }
int vbx_mcp_rpc_dead(const vbx_mcp_rpc *rpc) { return rpc->dead; }
size_t vbx_mcp_rpc_received(const vbx_mcp_rpc *rpc) { return rpc->received; }
