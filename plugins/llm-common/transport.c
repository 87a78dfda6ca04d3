/*
 * llm-common/transport.c - POST with retries and error mapping (see
 * transport.h).
 */
#include "transport.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/strbuf.h"
#include "retry.h"

#define ERRBODY_MAX 16384

typedef struct attempt {
  const vbx_host_services *h;
  const vbx_llm_stream_ops *ops;
  size_t total, max_total;
  vbx__strbuf errbody; /* first ERRBODY_MAX bytes, for error statuses */
  int cb_rc;           /* error returned by ops->on_data */
} attempt;

int vbx_llm_err_set(vbx_llm_err *e, int code, const char *field, const char *fmt, ...) {
  if (e->code) return code;
  e->code = code;
  snprintf(e->field, sizeof(e->field), "%s", field ? field : "");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
  va_end(ap);
  return code;
}

static int on_data(void *user, const char *data, size_t len) {
  attempt *a = user;
  a->total += len;
  if (a->total > a->max_total) {
    a->cb_rc = VBX_E_TOOBIG;
    return VBX_E_TOOBIG;
  }
  if (a->errbody.len < ERRBODY_MAX) {
    size_t n = ERRBODY_MAX - a->errbody.len;
    if (vbx__strbuf_append(&a->errbody, data, len < n ? len : n)) return (a->cb_rc = VBX_E_NOMEM);
  }
  int rc = a->ops->on_data(a->ops->user, data, len);
  if (rc) a->cb_rc = rc;
  return rc;
}

void vbx_llm_error_message(const vbx_host_services *h, const char *body, size_t len, char *dst,
                           size_t cap) {
  dst[0] = 0;
  if (!body || len == 0) {
    snprintf(dst, cap, "(empty body)");
    return;
  }
  vbx_json *doc = h->json_parse(body, len, NULL);
  const char *msg = NULL;
  if (doc && h->json_type(doc) == VBX_JSON_OBJECT) {
    vbx_json *e = h->json_object_get(doc, "error");
    if (e && h->json_type(e) == VBX_JSON_STRING)
      msg = h->json_string_value(e);
    else if (e && h->json_type(e) == VBX_JSON_OBJECT) {
      vbx_json *m = h->json_object_get(e, "message");
      if (m) msg = h->json_string_value(m);
    }
    if (!msg) {
      vbx_json *m = h->json_object_get(doc, "message");
      if (m) msg = h->json_string_value(m);
    }
  }
  if (msg) {
    snprintf(dst, cap, "%s", msg);
  } else {
    size_t n = len < 200 ? len : 200;
    if (n >= cap) n = cap - 1;
    for (size_t i = 0; i < n; i++)
      dst[i] = isprint((unsigned char)body[i]) ? body[i] : ' ';
    dst[n] = 0;
  }
  if (doc) h->json_decref(doc);
}

void vbx_llm_redact(char *s, size_t cap, const char *secret) {
  static const char mark[] = "[redacted]";
  if (!secret || !*secret || cap == 0 || !strstr(s, secret)) return;
  size_t kl = strlen(secret), o = 0;
  char *out = malloc(cap);
  if (!out) { /* cannot rewrite: drop the whole message rather than the key */
    snprintf(s, cap, "%s", mark);
    return;
  }
  for (const char *p = s; *p && o + 1 < cap;) {
    if (!strncmp(p, secret, kl)) {
      for (size_t i = 0; mark[i] && o + 1 < cap; i++)
        out[o++] = mark[i];
      p += kl;
    } else {
      out[o++] = *p++;
    }
  }
  out[o] = 0;
  memcpy(s, out, o + 1);
  free(out);
}

int vbx_llm_sleep_ms(const vbx_host_services *h, uint64_t ms, vbx_call *call) {
  uint64_t end = h->monotonic_ns() + ms * 1000000ull;
  for (;;) {
    if (h->is_cancelled(call)) return VBX_E_CANCELLED;
    uint64_t now = h->monotonic_ns();
    uint64_t dl = h->deadline_ns(call);
    if (dl && now >= dl) return VBX_E_TIMEOUT;
    if (now >= end) return 0;
    uint64_t left = end - now;
    if (left > 20000000ull) left = 20000000ull;
    struct timespec ts = {0, (long)left};
    nanosleep(&ts, NULL);
  }
}

static int context_too_long(const char *msg) {
  static const char *const hints[] = {
      "context length", "context_length",  "too long",           "maximum context",
      "context window", "too many tokens", "prompt is too long", NULL};
  char low[512];
  size_t i;
  for (i = 0; msg[i] && i < sizeof(low) - 1; i++)
    low[i] = (char)tolower((unsigned char)msg[i]);
  low[i] = 0;
  for (const char *const *p = hints; *p; p++)
    if (strstr(low, *p)) return 1;
  return 0;
}

static int status_error(const vbx_host_services *h, const vbx_llm_post *p, long status,
                        const char *msg, unsigned retries, vbx_call *call) {
  if (status == 401 || status == 403) {
    if (p->api_key_env)
      return h->set_error(call, VBX_E_AUTH, "api_key_env",
                          "authentication failed: check the API key in $%s (HTTP %ld: %s)",
                          p->api_key_env, status, msg);
    return h->set_error(call, VBX_E_AUTH, NULL, "authentication failed (HTTP %ld from %s): %s",
                        status, p->url, msg);
  }
  if (status == 404)
    return h->set_error(call, VBX_E_NOTFOUND, "model", "unknown model '%s' (HTTP 404 from %s: %s)",
                        p->model ? p->model : "", p->url, msg);
  if (status == 400 || status == 413 || status == 422) {
    if (strstr(msg, "model_not_found") ||
        (strstr(msg, "model") && strstr(msg, "not found") && !context_too_long(msg)))
      return h->set_error(call, VBX_E_NOTFOUND, "model", "unknown model '%s' (HTTP %ld: %s)",
                          p->model ? p->model : "", status, msg);
    if (context_too_long(msg))
      return h->set_error(call, VBX_E_PROVIDER, NULL, "context too long: %s", msg);
    return h->set_error(call, VBX_E_PROVIDER, NULL, "request rejected (HTTP %ld): %s", status, msg);
  }
  if (vbx_retry_status(status))
    return h->set_error(call, VBX_E_PROVIDER, NULL, "HTTP %ld from %s after %u retries: %s", status,
                        p->url, retries, msg);
  return h->set_error(call, VBX_E_PROVIDER, NULL, "HTTP %ld from %s: %s", status, p->url, msg);
}

static uint64_t wait_ms(const vbx_host_services *h, const vbx_llm_opts *o,
                        const vbx_http_response *r, unsigned attempt_no, uint64_t *rng) {
  uint64_t ms;
  if (r->retry_after &&
      vbx_retry_after_parse(r->retry_after, (int64_t)(h->realtime_ns() / 1000000000ull), &ms) == 0)
    return ms;
  return vbx_retry_backoff_ms(attempt_no, o->retry_base_ms, VBX_RETRY_CAP_MS, rng);
}

static void response_clear(const vbx_host_services *h, vbx_http_response *r) {
  h->free(r->body);
  h->free(r->retry_after);
  h->free(r->content_type);
  memset(r, 0, sizeof(*r));
  r->struct_size = sizeof(*r);
}

int vbx_llm_http_post(const vbx_host_services *h, const vbx_llm_opts *o, const vbx_llm_post *p,
                      const vbx_llm_stream_ops *ops, char **body_out, size_t *len_out,
                      uint64_t *rng, vbx_call *call) {
  int rc = 0;
  vbx_http_response resp;
  memset(&resp, 0, sizeof(resp));
  resp.struct_size = sizeof(resp);
  attempt a;
  memset(&a, 0, sizeof(a));
  a.h = h;
  a.ops = ops;
  a.max_total = o->max_response_bytes;
  char msg[512];
  for (unsigned n = 0;; n++) {
    if (h->is_cancelled(call)) {
      rc = h->set_error(call, VBX_E_CANCELLED, NULL, "cancelled");
      goto out;
    }
    vbx_http_request req;
    memset(&req, 0, sizeof(req));
    req.struct_size = sizeof(req);
    req.method = "POST";
    req.url = p->url;
    req.headers = p->headers;
    req.body = p->body;
    req.body_len = p->body_len;
    req.connect_timeout_ms = o->connect_timeout_ms;
    req.idle_timeout_ms = o->idle_timeout_ms;
    req.max_response_bytes = o->max_response_bytes;
    if (ops) {
      ops->reset(ops->user);
      a.total = 0;
      a.cb_rc = 0;
      vbx__strbuf_clear(&a.errbody);
      req.on_data = on_data;
      req.user = &a;
    }
    response_clear(h, &resp);
    rc = h->http_request(h->ctx, &req, &resp, call);
    int delivered = ops && ops->delivered(ops->user);
    const char *eb = ops ? (a.errbody.data ? a.errbody.data : "") : resp.body;
    size_t el = ops ? a.errbody.len : resp.body_len;
    if (resp.status >= 300) {
      /* an error status wins over what the stream parser made of its body */
      vbx_llm_error_message(h, eb, el, msg, sizeof(msg));
      vbx_llm_redact(msg, sizeof(msg), p->api_key);
      if (vbx_retry_status(resp.status) && n < o->max_retries && !delivered) {
        uint64_t ms = wait_ms(h, o, &resp, n + 1, rng);
        h->log(h->ctx, VBX_LOG_WARN, "HTTP %ld from %s; retry %u/%u in %llu ms", resp.status,
               p->url, n + 1, o->max_retries, (unsigned long long)ms);
        if ((rc = vbx_llm_sleep_ms(h, ms, call))) {
          rc = h->set_error(call, rc, NULL, "%s while waiting to retry",
                            rc == VBX_E_CANCELLED ? "cancelled" : "deadline passed");
          goto out;
        }
        continue;
      }
      rc = status_error(h, p, resp.status, msg, n, call);
      goto out;
    }
    if (rc == 0) break;
    if (a.cb_rc && ops->err && ops->err->code) {
      vbx_llm_redact(ops->err->msg, sizeof(ops->err->msg), p->api_key);
      rc = h->set_error(call, ops->err->code, ops->err->field[0] ? ops->err->field : NULL, "%s",
                        ops->err->msg);
      goto out;
    }
    if (a.cb_rc == VBX_E_TOOBIG && rc == VBX_E_TOOBIG) {
      rc = h->set_error(call, VBX_E_TOOBIG, "max_response_bytes",
                        "response from %s exceeds max_response_bytes (%zu)", p->url,
                        o->max_response_bytes);
      goto out;
    }
    if (a.cb_rc) goto out;
    if (rc == VBX_E_CANCELLED || h->is_cancelled(call)) {
      rc = h->set_error(call, VBX_E_CANCELLED, NULL, "cancelled");
      goto out;
    }
    uint64_t dl = h->deadline_ns(call);
    if (vbx_retry_transport(rc) && n < o->max_retries && !delivered &&
        !(dl && h->monotonic_ns() >= dl)) {
      uint64_t ms = vbx_retry_backoff_ms(n + 1, o->retry_base_ms, VBX_RETRY_CAP_MS, rng);
      h->log(h->ctx, VBX_LOG_WARN, "request to %s failed (error %d); retry %u/%u in %llu ms",
             p->url, rc, n + 1, o->max_retries, (unsigned long long)ms);
      int src = vbx_llm_sleep_ms(h, ms, call);
      if (src) {
        rc = h->set_error(call, src, NULL, "cancelled while waiting to retry");
        goto out;
      }
      continue;
    }
    goto out; /* the host set the transport error's message */
  }
  if (!ops) {
    if (body_out) {
      *body_out = resp.body;
      resp.body = NULL;
    }
    if (len_out) *len_out = resp.body_len;
  }
out:
  response_clear(h, &resp);
  vbx__strbuf_reset(&a.errbody);
  return rc;
}
