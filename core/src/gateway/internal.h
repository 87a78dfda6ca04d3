/*
 * gateway/internal.h - the records shared by the files of core/src/gateway
 * only (server.c, handler.c, request.c, reply.c, stream.c, auth.c).
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
#include "util/strbuf.h"

#define VBX__GW_MAX_MESSAGES 100000u
#define VBX__GW_MAX_TOKENS 1000000u
#define VBX__GW_STREAM_QUEUE_MAX ((size_t)4 << 20) /* pending SSE bytes before on_text waits */
#define VBX__GW_PING_SECS 10u                       /* SSE ping after this long idle */

struct vbx__gateway {
  struct MHD_Daemon *mhd;
  const vbx__impl *impl;
  const vbx_llm_provider_vtable *vt;
  void *provider;                  /* the box's provider instance */
  int thread_safe;                 /* vtable flags has VBX_VT_THREAD_SAFE */
  pthread_mutex_t provider_mu;     /* serialises complete() unless thread_safe */
  char *model;                     /* configured model (strdup) or NULL */
  char token[VBX__GATEWAY_TOKEN_MAX];
  size_t token_len;
  char url[160];
  uint16_t port;
  char *unix_path;                 /* strdup, unlinked on stop */
  size_t max_body;
  vbx__cancel stopping;            /* set by vbx__gateway_stop */
  const vbx__cancel *ext_cancel;   /* cfg->cancel, may be NULL */
  pthread_mutex_t mu;              /* workers, last_error */
  pthread_cond_t cv;
  unsigned workers;                /* stream worker threads alive */
  char last_error[256];            /* MHD's last log line */
  atomic_uint_fast64_t requests;
};

/* A parsed and normalised POST /v1/messages body. */
typedef struct vbx__gw_msgreq {
  json_t *messages;                /* canonical array (new reference) */
  json_t *tools;                   /* canonical array or NULL */
  char *system;                    /* malloc'd or NULL */
  uint32_t max_tokens;
  int stream;
} vbx__gw_msgreq;

/* ---- auth.c -------------------------------------------------------------- */

/* Non-zero when the connection presents gw's token in x-api-key or
 * Authorization: Bearer (constant-time compare). */
int vbx__gw_authorised(const vbx__gateway *gw, struct MHD_Connection *c);
/* Fill buf (cap >= 2*nbytes+1) with nbytes random bytes as hex. 0 or VBX_E_IO. */
int vbx__gw_random_hex(char *buf, size_t cap, size_t nbytes);
/* Check a configured token: printable ASCII without spaces, 16..255 bytes. */
int vbx__gw_token_ok(const char *token);

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

/* ---- stream.c ------------------------------------------------------------ */

/* Answer a streaming request: runs complete() on a worker thread and
 * queues an SSE response on c (or a JSON error when the provider failed
 * before producing anything). Takes ownership of *req (reset). */
enum MHD_Result vbx__gw_stream(vbx__gateway *gw, struct MHD_Connection *c, vbx__gw_msgreq *req);
/* ---- provider.c ---------------------------------------------------------- */

/* Resolve cfg's LLM implementation and create the instance into gw
 * (impl, vt, provider, thread_safe, model). err names the failure. */
int vbx__gw_provider_create(vbx__gateway *gw, const vbx__gateway_config *cfg, vbx_error *err);
/* Destroy the instance; no request may be running. */
void vbx__gw_provider_destroy(vbx__gateway *gw);
/* Provider call helpers shared with the non-streaming path. */
void vbx__gw_provider_lock(vbx__gateway *gw);
void vbx__gw_provider_unlock(vbx__gateway *gw);
void vbx__gw_call_init(vbx__gateway *gw, vbx_call *call);
void vbx__gw_response_free(vbx_llm_response *resp);

/* ---- handler.c ----------------------------------------------------------- */

/* MHD access handler and completion callback (server.c registers them). */
enum MHD_Result vbx__gw_on_request(void *cls, struct MHD_Connection *c, const char *url,
                                   const char *method, const char *version,
                                   const char *upload_data, size_t *upload_data_size,
                                   void **con_cls);
void vbx__gw_on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                          enum MHD_RequestTerminationCode toe);
/* Queue a JSON response (copied). Returns MHD_YES or MHD_NO. */
enum MHD_Result vbx__gw_reply(struct MHD_Connection *c, unsigned status, const char *json);
/* Queue an Anthropic error response. */
enum MHD_Result vbx__gw_reply_error(struct MHD_Connection *c, unsigned status,
                                    const char *type, const char *message);

#endif
