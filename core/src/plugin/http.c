/*
 * plugin/http.c - host->http_request: one libcurl easy handle per request,
 * with connect and idle timeouts, a bound on buffered bodies, streaming,
 * Retry-After/Content-Type capture, and cancellation through the vbx_call.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plugin/abi.h"
#include "plugin/curl_api.h"
#include "plugin/internal.h"
#include "util/strbuf.h"

#define DEFAULT_CONNECT_MS 10000u
#define DEFAULT_IDLE_MS 300000u
#define DEFAULT_MAX_BODY ((size_t)16 << 20)
#define MAX_HEADERS 256
#define MAX_HEADER_LEN 8192
#define MAX_URL_LEN 8192
#define MAX_CAPTURED_HEADER 1024

typedef struct xfer {
  vbx_call *call;
  vbx_http_data_fn on_data;
  void *user;
  vbx__strbuf body;
  size_t max_body;
  uint64_t idle_ns;
  uint64_t last_ns; /* last time a byte moved */
  curl_off_t last_dl, last_ul;
  int abort_code; /* why a callback stopped the transfer */
  char abort_msg[256];
  char *retry_after;
  char *content_type;
} xfer;

static size_t stop(xfer *x, int code, const char *msg) {
  if (x->abort_code == 0) {
    x->abort_code = code;
    snprintf(x->abort_msg, sizeof(x->abort_msg), "%s", msg);
  }
  return 0;
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *ud) {
  xfer *x = ud;
  size_t n = size * nmemb;
  x->last_ns = vbx__now_ns();
  if (x->on_data != NULL) {
    int rc = x->on_data(x->user, ptr, n);
    if (rc != 0) {
      char msg[96];
      snprintf(msg, sizeof(msg), "the on_data callback stopped the transfer (%d)", rc);
      return stop(x, rc < 0 ? rc : VBX_E_GENERIC, msg);
    }
    return n;
  }
  if (n > x->max_body - x->body.len) {
    char msg[96];
    snprintf(msg, sizeof(msg), "response body exceeds %zu bytes", x->max_body);
    return stop(x, VBX_E_TOOBIG, msg);
  }
  if (vbx__strbuf_append(&x->body, ptr, n) != 0) return stop(x, VBX_E_NOMEM, "out of memory");
  return n;
}

/* Capture "Name: value" for the headers we report; a new status line
 * (redirect, 100 Continue) starts a new header block. */
static size_t on_header(char *buf, size_t size, size_t nitems, void *ud) {
  xfer *x = ud;
  size_t n = size * nitems;
  x->last_ns = vbx__now_ns();
  if (n >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
    free(x->retry_after);
    free(x->content_type);
    x->retry_after = x->content_type = NULL;
    return n;
  }
  char **slot = NULL;
  size_t skip = 0;
  if (n > 12 && strncasecmp(buf, "Retry-After:", 12) == 0) {
    slot = &x->retry_after;
    skip = 12;
  } else if (n > 13 && strncasecmp(buf, "Content-Type:", 13) == 0) {
    slot = &x->content_type;
    skip = 13;
  }
  if (slot == NULL) return n;
  const char *v = buf + skip;
  size_t len = n - skip;
  while (len > 0 && (*v == ' ' || *v == '\t'))
    v++, len--;
  while (len > 0 && isspace((unsigned char)v[len - 1]))
    len--;
  if (len > MAX_CAPTURED_HEADER) len = MAX_CAPTURED_HEADER;
  free(*slot);
  *slot = strndup(v, len);
  return n;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow) {
  xfer *x = ud;
  uint64_t now = vbx__now_ns();
  if (dlnow != x->last_dl || ulnow != x->last_ul) {
    x->last_dl = dlnow;
    x->last_ul = ulnow;
    x->last_ns = now;
  }
  if (x->call != NULL && vbx__call_stopped(x->call)) {
    int cancelled = vbx__call_cancelled(x->call);
    stop(x, cancelled ? VBX_E_CANCELLED : VBX_E_TIMEOUT,
         cancelled ? "cancelled" : "the call's deadline passed");
    return 1;
  }
  if (now - x->last_ns > x->idle_ns) {
    char msg[96];
    snprintf(msg, sizeof(msg), "no data for %llu ms (idle timeout)",
             (unsigned long long)(x->idle_ns / 1000000u));
    stop(x, VBX_E_TIMEOUT, msg);
    return 1;
  }
  return 0;
}

/* URL for messages: scheme, host and path only (queries may hold keys). */
static void url_for_log(const char *url, char *out, size_t n) {
  size_t len = strcspn(url, "?#");
  if (len > 200) len = 200;
  snprintf(out, n, "%.*s", (int)len, url);
}

static int method_ok(const char *m) {
  size_t n = strnlen(m, 17);
  if (n == 0 || n > 16) return 0;
  for (size_t i = 0; i < n; i++)
    if (m[i] < 'A' || m[i] > 'Z') return 0;
  return 1;
}

static int setup(const vbx__curl_api *cu, CURL *h, const vbx_http_request *rq,
                 struct curl_slist **hdrs, xfer *x, char *errbuf, vbx_call *call) {
  const char *m = rq->method ? rq->method : "GET";
  if (!method_ok(m)) return vbx__call_fail(call, VBX_E_INVAL, "method", "bad HTTP method");
  for (size_t i = 0; rq->headers && rq->headers[i]; i++) {
    if (i >= MAX_HEADERS)
      return vbx__call_fail(call, VBX_E_LIMIT, "headers", "more than %d headers", MAX_HEADERS);
    if (strnlen(rq->headers[i], MAX_HEADER_LEN + 1) > MAX_HEADER_LEN)
      return vbx__call_fail(call, VBX_E_TOOBIG, "headers", "header %zu longer than %d bytes", i,
                            MAX_HEADER_LEN);
    struct curl_slist *l = cu->slist_append(*hdrs, rq->headers[i]);
    if (l == NULL) return vbx__call_fail(call, VBX_E_NOMEM, NULL, "out of memory");
    *hdrs = l;
  }
  struct curl_slist *l = cu->slist_append(*hdrs, "Expect:");
  if (l == NULL) return vbx__call_fail(call, VBX_E_NOMEM, NULL, "out of memory");
  *hdrs = l;
  cu->easy_setopt(h, CURLOPT_URL, rq->url);
  cu->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  cu->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  cu->easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  cu->easy_setopt(h, CURLOPT_HTTPHEADER, *hdrs);
  cu->easy_setopt(h, CURLOPT_USERAGENT, "voidbox/" VBX_VERSION_STRING);
  cu->easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
  cu->easy_setopt(h, CURLOPT_WRITEDATA, x);
  cu->easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  cu->easy_setopt(h, CURLOPT_HEADERDATA, x);
  cu->easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  cu->easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
  cu->easy_setopt(h, CURLOPT_XFERINFODATA, x);
  long connect_ms = rq->connect_timeout_ms ? (long)rq->connect_timeout_ms : DEFAULT_CONNECT_MS;
  cu->easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
  /* Backstop for the idle check in on_progress: under 1 byte/s for the
   * idle time (rounded up to whole seconds) aborts the transfer. */
  long idle_s = (long)((x->idle_ns / 1000000u + 999u) / 1000u);
  cu->easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  cu->easy_setopt(h, CURLOPT_LOW_SPEED_TIME, idle_s + 1);
  if (call != NULL && call->deadline_ns != 0) {
    uint64_t now = vbx__now_ns();
    if (now >= call->deadline_ns)
      return vbx__call_fail(call, VBX_E_TIMEOUT, NULL, "the call's deadline passed");
    long ms = (long)((call->deadline_ns - now) / 1000000u) + 1;
    cu->easy_setopt(h, CURLOPT_TIMEOUT_MS, ms);
  }
  if (rq->body != NULL || strcmp(m, "POST") == 0) {
    cu->easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(rq->body ? rq->body_len : 0));
    cu->easy_setopt(h, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
    if (strcmp(m, "POST") != 0) cu->easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
  } else if (strcmp(m, "GET") == 0) {
    cu->easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else if (strcmp(m, "HEAD") == 0) {
    cu->easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else {
    cu->easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
  }
  return 0;
}

/* Fill the members of resp its producer knows about; free what does not
 * fit. Takes ownership of x's buffers. */
static void fill_response(vbx_http_response *resp, long status, xfer *x, int with_body) {
  char *body = NULL;
  size_t body_len = 0;
  if (with_body && x->on_data == NULL) {
    body_len = x->body.len;
    body = vbx__strbuf_take(&x->body);
  }
  vbx__strbuf_reset(&x->body);
  if (VBX_HAS_MEMBER(resp, vbx_http_response, status)) resp->status = status;
  if (VBX_HAS_MEMBER(resp, vbx_http_response, body_len)) {
    resp->body = body;
    resp->body_len = body ? body_len : 0;
    body = NULL;
  }
  if (VBX_HAS_MEMBER(resp, vbx_http_response, retry_after)) {
    resp->retry_after = x->retry_after;
    x->retry_after = NULL;
  }
  if (VBX_HAS_MEMBER(resp, vbx_http_response, content_type)) {
    resp->content_type = x->content_type;
    x->content_type = NULL;
  }
  free(body);
  free(x->retry_after);
  free(x->content_type);
  x->retry_after = x->content_type = NULL;
}

static int hs_http_request(vbx_plugin_ctx *ctx, const vbx_http_request *req,
                           vbx_http_response *resp, vbx_call *call) {
  if (resp == NULL || resp->struct_size < offsetof(vbx_http_response, status) + sizeof(long))
    return vbx__call_fail(call, resp ? VBX_E_ABI : VBX_E_INVAL, NULL,
                          "http_request: response struct missing or too small");
  size_t keep = resp->struct_size;
  memset((char *)resp + sizeof(uint32_t), 0,
         (keep < sizeof(*resp) ? keep : sizeof(*resp)) - sizeof(uint32_t));
  vbx_http_request rq;
  int rc = vbx__abi_copy_in(&rq, sizeof(rq), req, "vbx_http_request", call);
  if (rc != 0) return rc;
  if (rq.url == NULL || rq.url[0] == '\0')
    return vbx__call_fail(call, VBX_E_INVAL, "url", "http_request: no URL");
  if (strnlen(rq.url, MAX_URL_LEN + 1) > MAX_URL_LEN)
    return vbx__call_fail(call, VBX_E_TOOBIG, "url", "URL longer than %d bytes", MAX_URL_LEN);
  char why[300];
  const vbx__curl_api *cu = vbx__curl(why, sizeof why);
  if (cu == NULL) return vbx__call_fail(call, VBX_E_HTTP, NULL, "http_request: %s", why);
  xfer x;
  memset(&x, 0, sizeof(x));
  x.call = call;
  x.on_data = rq.on_data;
  x.user = rq.user;
  x.max_body = rq.max_response_bytes ? rq.max_response_bytes : DEFAULT_MAX_BODY;
  x.idle_ns = (uint64_t)(rq.idle_timeout_ms ? rq.idle_timeout_ms : DEFAULT_IDLE_MS) * 1000000u;
  x.last_ns = vbx__now_ns();
  char errbuf[CURL_ERROR_SIZE] = "";
  char where[256];
  url_for_log(rq.url, where, sizeof(where));
  const char *m = rq.method ? rq.method : "GET";
  struct curl_slist *hdrs = NULL;
  CURL *h = cu->easy_init();
  if (h == NULL) {
    rc = vbx__call_fail(call, VBX_E_NOMEM, NULL, "curl_easy_init failed");
    goto out;
  }
  rc = setup(cu, h, &rq, &hdrs, &x, errbuf, call);
  if (rc != 0) goto out;
  CURLcode cc = cu->easy_perform(h);
  long status = 0;
  cu->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (x.abort_code != 0) {
    rc = vbx__call_fail(call, x.abort_code, NULL, "%.16s %s: %s", m, where, x.abort_msg);
  } else if (cc == CURLE_OPERATION_TIMEDOUT) {
    rc = vbx__call_fail(call, VBX_E_TIMEOUT, NULL, "%.16s %s: timed out: %s", m, where,
                        errbuf[0] ? errbuf : cu->easy_strerror(cc));
  } else if (cc != CURLE_OK) {
    rc = vbx__call_fail(call, VBX_E_HTTP, NULL, "%.16s %s: %s: %s", m, where, cu->easy_strerror(cc),
                        errbuf[0] ? errbuf : "no detail");
  }
  fill_response(resp, status, &x, rc == 0);
  if (rc == 0) vbx__ctx_log(ctx, VBX_LOG_DEBUG, "%.16s %s -> %ld", m, where, status);
out:
  vbx__strbuf_reset(&x.body);
  free(x.retry_after);
  free(x.content_type);
  cu->slist_free_all(hdrs);
  if (h) cu->easy_cleanup(h);
  return rc;
}

void vbx__http_fill(vbx_host_services *h) { h->http_request = hs_http_request; }
