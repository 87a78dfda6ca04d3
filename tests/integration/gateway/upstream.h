/*
 * tests/integration/gateway/upstream.h - what the gateway tests share: each
 * provider's upstream wire (a stream answering "Hello world" plus a
 * get_weather tool call, split at the first text piece), the check of the
 * translated request each provider's fake upstream received, the
 * Anthropic-shaped client request, and starting a gateway in front of a
 * provider plugin loaded through the real loader. Single-threaded test code.
 */
#ifndef VBX_TEST_GW_UPSTREAM_H
#define VBX_TEST_GW_UPSTREAM_H

#include "gateway/gateway.h"

#define HOST_KEY "sk-host-secret-0123456789"
#define HOST_KEY_ENV "VBX_GW_TEST_HOST_KEY"
#define GW_TOKEN "box-token-abcdef0123456789"

typedef struct pwire {
  const char *provider;
  const char *so_path;
  const char *model;
  const char *key_env; /* NULL: no key */
  const char *path;    /* upstream request path */
  const char *ctype;   /* upstream stream content type */
  const char *part1;   /* stream up to and including the first text */
  const char *part2;   /* the rest */
  const char *err401;  /* an upstream 401 body */
  /* Assert the translated request (path, headers, body) has the
   * provider's shape. */
  void (*check)(const char *path, const char *body, const char *auth_value);
  const char *auth_header; /* header carrying the key, NULL: none */
} pwire;

extern const pwire PW_ANTHROPIC, PW_OPENAI, PW_OLLAMA;

typedef struct gwt {
  vbx__registry *reg;
  vbx__gateway *gw;
} gwt;

/* Load w's plugin and start a gateway (token GW_TOKEN unless token is
 * given; TCP 127.0.0.1 unless unix_path) whose provider talks to upstream.
 * Returns 0 or prints why and returns -1. */
int gwt_start(gwt *t, const pwire *w, const char *upstream, const char *unix_path,
              const char *token);

/* The same with bounds set: a 0 field keeps the gateway's default. */
typedef struct gwt_opts {
  unsigned max_connections;
  unsigned timeout_secs;
  unsigned header_timeout_secs;
  unsigned max_unauthenticated;
} gwt_opts;
int gwt_start_opts(gwt *t, const pwire *w, const char *upstream, const gwt_opts *o);
void gwt_stop(gwt *t);

/* The multi-turn Anthropic request (tool_use, tool_result, system blocks
 * with cache_control, a tool), malloc'd. */
char *client_request(int stream);

#endif
