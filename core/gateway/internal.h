/*
 * gateway/internal.h - the records shared by the files of core/gateway
 * only (server.c, admit.c, handler.c, exchange.c, stream.c, request.c,
 * reply.c, provider.c, auth.c).
 */
#ifndef VBX_GATEWAY_INTERNAL_H
#define VBX_GATEWAY_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <stdarg.h>

#include <microhttpd.h>

#include "gateway/gateway.h"
#include "gateway/mhd_api.h"
#include "plugin/instance.h"
#include "util/strbuf.h"

#define VBX__GW_MAX_MESSAGES 100000u
#define VBX__GW_MAX_TOKENS 1000000u
#define VBX__GW_STREAM_QUEUE_MAX ((size_t)4 << 20) /* pending SSE bytes before on_text waits */
#define VBX__GW_PING_SECS 10u                      /* SSE ping after this long idle */
#define VBX__GW_PEEK_MAX 4096u                     /* bytes looked at on accept */
#define VBX__GW_BACKLOG 256                        /* listen() backlog */
#define VBX__GW_TEARDOWN_SLACK 1024u               /* MHD connections beyond the live ones */

/* One accepted connection, from MHD's NOTIFY_CONNECTION (admit.c). Its
 * socket context; freed when MHD reports it closed. */
typedef enum { VBX__GW_CONN_PENDING, VBX__GW_CONN_TRUSTED, VBX__GW_CONN_CUT } vbx__gw_conn_state;
typedef struct vbx__gw_conn {
  struct vbx__gw_conn *prev, *next; /* the pending list, oldest first */
  int fd;                           /* MHD's socket (borrowed: shut down, never closed) */
  uint64_t deadline_ns;             /* CLOCK_MONOTONIC: token by then, or cut */
  vbx__gw_conn_state state;         /* under gw->conn_mu */
} vbx__gw_conn;

struct vbx__gateway {
  struct MHD_Daemon *mhd;
  vbx__inst llm;               /* the box's provider instance (plugin/instance.h) */
  int thread_safe;             /* vtable flags has VBX_VT_THREAD_SAFE */
  pthread_mutex_t provider_mu; /* serialises complete() unless thread_safe */
  char *model;                 /* configured model (strdup) or NULL */
  char token[VBX__GATEWAY_TOKEN_MAX];
  size_t token_len;
  char url[160];
  uint16_t port;
  char *unix_path; /* strdup, unlinked on stop */
  size_t max_body;
  vbx__cancel stopping;          /* set by vbx__gateway_stop */
  const vbx__cancel *ext_cancel; /* cfg->cancel, may be NULL */
  vbx__obs_scope obs;            /* cfg->obs: where model calls are recorded */
  const char *system;            /* the provider's name, for those records */
  pthread_mutex_t mu;            /* workers, inflight, last_error */
  pthread_cond_t cv;             /* CLOCK_MONOTONIC */
  unsigned workers;              /* provider worker threads alive */
  unsigned inflight;             /* requests between their headers and MHD's completion */
  char last_error[256];          /* MHD's last log line */
  uint64_t n_over_limit;         /* connections MHD closed at its own limit */
  atomic_uint_fast64_t requests;
  /* Admission (admit.c), all under conn_mu. */
  pthread_mutex_t conn_mu;
  pthread_cond_t conn_cv; /* CLOCK_MONOTONIC; wakes the reaper */
  vbx__gw_conn *pend_head, *pend_tail;
  unsigned n_pending; /* connections without the token yet */
  unsigned n_live;    /* pending + trusted (not cut) */
  unsigned max_conns, max_pending;
  uint64_t header_ns; /* header deadline */
  int reaper_started, reaper_stop;
  pthread_t reaper;
  uint64_t n_evicted, n_expired, n_refused, n_early;
};

/* A parsed and normalised POST /v1/messages body. */
typedef struct vbx__gw_msgreq {
  json_t *messages; /* canonical array (new reference) */
  json_t *tools;    /* canonical array or NULL */
  char *system;     /* malloc'd or NULL */
  uint32_t max_tokens;
  int stream;
} vbx__gw_msgreq;

/* A provider call on a worker thread, shared by the connection's thread
 * (the handler, then the SSE reader) and the worker; freed by whichever
 * lets go last (refs under mu). The connection's thread waits on wake_fd
 * and the client's socket together, so a client going away is seen at
 * once and cancels the call (`gone` is the call's third cancel source). */
/* Where a streaming exchange's worker sends what the provider produces
 * (stream.c gives its SSE writer): on_text is the request's on_text (user:
 * the exchange); on_end runs once with x->mu held after complete()
 * returned. */
struct vbx__gw_xchg;
typedef struct vbx__gw_sink {
  int (*on_text)(void *user, const char *text, size_t len);
  void (*on_end)(struct vbx__gw_xchg *x, int rc, const vbx_llm_response *resp);
} vbx__gw_sink;

typedef struct vbx__gw_xchg {
  vbx__gateway *gw;
  vbx__gw_msgreq req;       /* owned */
  const vbx__gw_sink *sink; /* streaming: where the output goes; NULL: buffered */
  int client_fd;            /* the connection's socket (MHD's; watched only), -1: none */
  int wake_fd;              /* eventfd: the worker says something changed */
  vbx__cancel gone;         /* the client went away */
  pthread_mutex_t mu;       /* everything below */
  pthread_cond_t cv;        /* CLOCK_MONOTONIC; the worker waits here (back-pressure) */
  unsigned refs;
  int done;              /* complete() returned */
  int rc;                /* its result, once done */
  char errmsg[1024];     /* its message when rc != 0 */
  vbx_llm_response resp; /* buffered: the answer, once done (rc == 0) */
  char id[48];           /* "msg_vbx_..." */
  /* Streaming (stream.c). */
  vbx__strbuf q; /* SSE bytes not yet handed to MHD */
  size_t q_off;
  int started, text_open;
  size_t next_index;    /* next content block index */
  vbx__strbuf streamed; /* text already sent as text_delta */
  uint64_t last_out_ns;
} vbx__gw_xchg;

/* ---- auth.c -------------------------------------------------------------- */

/* Non-zero when the connection presents gw's token in x-api-key or
 * Authorization: Bearer (constant-time compare). */
int vbx__gw_authorised(const vbx__gateway *gw, struct MHD_Connection *c);
/* Fill buf (cap >= 2*nbytes+1) with nbytes random bytes as hex. 0 or VBX_E_IO. */
int vbx__gw_random_hex(char *buf, size_t cap, size_t nbytes);
/* Check a configured token: printable ASCII without spaces, 16..255 bytes. */
int vbx__gw_token_ok(const char *token);
/* Non-zero when the bytes already waiting on a just-accepted socket (peeked
 * without consuming, at most VBX__GW_PEEK_MAX) hold a whole header block
 * that carries gw's token in x-api-key or Authorization: Bearer. A hint
 * for admission only (admit.c): libmicrohttpd still parses every request
 * and vbx__gw_authorised still decides each one. Never blocks. */
int vbx__gw_peek_authorised(const vbx__gateway *gw, int fd);
/* The parser behind it: non-zero when buf[0..len) (untrusted bytes, any
 * content) holds a whole header block ending in CRLF CRLF whose header
 * lines carry gw's token (x-api-key, or Authorization: Bearer; names in any
 * case, values trimmed of spaces and tabs). Reads only gw->token and
 * gw->token_len. Any thread. */
int vbx__gw_header_block_authorised(const vbx__gateway *gw, const char *buf, size_t len);

/* ---- request.c ----------------------------------------------------------- */

/* Parse and normalise a Messages request body into out. On failure returns
 * VBX_E_PROTOCOL (not JSON) or VBX_E_INVAL (shape) with why filled
 * ("messages[2].content[0]: ..."); nothing is left to free. */
int vbx__gw_parse_request(const char *body, size_t len, vbx__gw_msgreq *out, char *why,
                          size_t why_cap);
void vbx__gw_msgreq_free(vbx__gw_msgreq *r);

/* ---- reply.c ------------------------------------------------------------- */

/* {"type":"error","error":{"type":TYPE,"message":MSG}} (malloc'd) or NULL. */
char *vbx__gw_error_json(const char *type, const char *message);
/* The HTTP status and Anthropic error type for a provider failure. */
int vbx__gw_status_for(int code, const char *message, const char **type);
/* A content block of a provider response in Anthropic shape (new
 * reference), or NULL for block types the gateway does not pass on. */
json_t *vbx__gw_block(const json_t *block);
/* usage object of a response (new reference). */
json_t *vbx__gw_usage(const vbx_llm_usage *u);
/* The whole non-streaming message JSON (malloc'd) or NULL on OOM. */
char *vbx__gw_message_json(const vbx_llm_response *resp, const char *id, const char *model);
/* "msg_vbx_" + 24 random hex digits into buf (cap >= 40). */
void vbx__gw_message_id(char *buf, size_t cap);
/* GET /v1/models body (malloc'd) or NULL. */
char *vbx__gw_models_json(const char *model);

/* ---- admit.c ------------------------------------------------------------- */

/* Set the admission bounds (max_conns live connections, max_pending of them
 * without the token, header deadline in seconds) and start the reaper
 * thread that closes connections past their header deadline. Owner thread,
 * before MHD starts. 0 or VBX_E_IO (err filled). */
int vbx__gw_admit_start(vbx__gateway *gw, unsigned max_conns, unsigned max_pending,
                        unsigned header_secs, vbx_error *err);
/* Stop and join the reaper. Owner thread, after MHD stopped (no connection
 * left). Safe when vbx__gw_admit_start failed or never ran. */
void vbx__gw_admit_stop(vbx__gateway *gw);
/* MHD_OPTION_NOTIFY_CONNECTION callback (cls: the gateway). STARTED runs
 * on MHD's listening thread: admits the connection as pending, evicting
 * the oldest pending one past max_pending, or closes it when every slot
 * is trusted. CLOSED frees the record, before MHD closes the socket. */
void vbx__gw_on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                           enum MHD_ConnectionNotificationCode code);
/* The connection's record (its socket context), or NULL. */
vbx__gw_conn *vbx__gw_conn_of(struct MHD_Connection *c);
/* The connection presented the token: it leaves the pending list and its
 * deadline. Connection thread. 0, or VBX_E_CANCELLED when it was already
 * cut (evicted or expired) and must not be served. */
int vbx__gw_admit_trust(vbx__gateway *gw, vbx__gw_conn *conn);

/* ---- exchange.c ---------------------------------------------------------- */

/* Start complete() for req on a worker thread: streaming through sink
 * (static storage) when not NULL, else buffered into x->resp. Takes
 * ownership of *req (reset), even on failure. conn gives the client socket
 * to watch (NULL: none). *out holds two references: the caller's and the
 * worker's. 0, VBX_E_NOMEM, or VBX_E_IO (no eventfd or thread).
 * Connection thread. */
int vbx__gw_xchg_start(vbx__gateway *gw, vbx__gw_conn *conn, vbx__gw_msgreq *req,
                       const vbx__gw_sink *sink, vbx__gw_xchg **out);
/* Wait (connection thread, x->mu not held) until the worker is done, or
 * with until_started until the stream has started or the worker is done.
 * 0, or VBX_E_CANCELLED when the client went away first (the call is
 * cancelled). */
int vbx__gw_xchg_wait(vbx__gw_xchg *x, int until_started);
/* Wait up to timeout_ms (-1: no bound) for the worker's next signal or the
 * client going away. x->mu not held. 0, or VBX_E_CANCELLED when the
 * client went away (the call is then cancelled). */
int vbx__gw_xchg_watch(vbx__gw_xchg *x, int timeout_ms);
/* The client is gone: cancel the call and wake the worker. Any thread. */
void vbx__gw_xchg_gone(vbx__gw_xchg *x);
/* Worker side, x->mu held: tell the connection's thread to look again. */
void vbx__gw_xchg_wake(vbx__gw_xchg *x);
/* Drop one reference; the last frees x. */
void vbx__gw_xchg_release(vbx__gw_xchg *x);

/* ---- stream.c ------------------------------------------------------------ */

/* Answer a streaming request: start the exchange and queue an SSE response
 * on c (or a JSON error when the provider failed before producing
 * anything). Takes ownership of *req (reset). Connection thread. */
enum MHD_Result vbx__gw_stream(vbx__gateway *gw, struct MHD_Connection *c, vbx__gw_conn *conn,
                               vbx__gw_msgreq *req);
/* ---- provider.c ---------------------------------------------------------- */

/* Resolve cfg's LLM implementation and create the instance into gw
 * (impl, vt, provider, thread_safe, model). err names the failure. */
int vbx__gw_provider_create(vbx__gateway *gw, const vbx__gateway_config *cfg, vbx_error *err);
/* Destroy the instance; no request may be running. */
void vbx__gw_provider_destroy(vbx__gateway *gw);
/* Provider call helpers shared with the non-streaming path. */
void vbx__gw_provider_lock(vbx__gateway *gw);
void vbx__gw_provider_unlock(vbx__gateway *gw);
/* A call cancelled by the gateway stopping, the owner's token, and (when
 * not NULL) the request's own token (the client went away). */
void vbx__gw_call_init(vbx__gateway *gw, vbx_call *call, const vbx__cancel *request);
void vbx__gw_response_free(vbx_llm_response *resp);

/* ---- handler.c ----------------------------------------------------------- */

/* MHD access handler and completion callback (server.c registers them). */
enum MHD_Result vbx__gw_on_request(void *cls, struct MHD_Connection *c, const char *url,
                                   const char *method, const char *version, const char *upload_data,
                                   size_t *upload_data_size, void **con_cls);
void vbx__gw_on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                          enum MHD_RequestTerminationCode toe);

/* ---- respond.c ----------------------------------------------------------- */

/* Queue a JSON response (copied); a 503 also closes the connection after
 * it. Returns MHD_YES or MHD_NO. */
enum MHD_Result vbx__gw_reply(struct MHD_Connection *c, unsigned status, const char *json);
/* Queue an Anthropic error response. */
enum MHD_Result vbx__gw_reply_error(struct MHD_Connection *c, unsigned status, const char *type,
                                    const char *message);

#endif
