/*
 * guest-session/gs_gateway.c - how a box reaches its LLM gateway
 * (gs_box.h, docs/gateway.md): the agent's in-box listener in its policy,
 * the tunnels' host end once connected, and the URL in the commands'
 * default environment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gs_box.h"
#include "tunnel.h"

void gs_gateway_plan(gs_box *b, guest_policy *pol, const vbx_sandbox_config *cfg, int direct) {
  b->gw_host_port =
      VBX_HAS_MEMBER(cfg, vbx_sandbox_config, llm_gateway_port) ? cfg->llm_gateway_port : 0;
  b->gw_guest_port = b->gw_host_port != 0 && !direct ? GS_GATEWAY_GUEST_PORT : 0;
  pol->llm_gateway_port = b->gw_guest_port;
}

/* NAME=value into env (replacing NAME=...), growing the array. 0 or
 * VBX_E_NOMEM (env unchanged). */
static int env_put(char ***env, const char *name, const char *value) {
  size_t n = 0, len = strlen(name), size = len + 1 + strlen(value) + 1;
  char *e = malloc(size);
  if (e == NULL) return VBX_E_NOMEM;
  snprintf(e, size, "%s=%s", name, value);
  for (; (*env)[n] != NULL; n++)
    if (strncmp((*env)[n], name, len) == 0 && (*env)[n][len] == '=') {
      free((*env)[n]);
      (*env)[n] = e;
      return 0;
    }
  char **grown = realloc(*env, (n + 2) * sizeof *grown);
  if (grown == NULL) {
    free(e);
    return VBX_E_NOMEM;
  }
  grown[n] = e;
  grown[n + 1] = NULL;
  *env = grown;
  return 0;
}

int gs_gateway_start(gs_box *b, vbx_call *call) {
  const vbx_host_services *h = b->host;
  if (b->gw_host_port == 0) return 0;
  char url[64], err[300];
  if (b->gw_guest_port != 0) {
    int rc = gs_tunnels_start(b->gs.conn, b->gw_host_port, &b->tunnels, err, sizeof err);
    if (rc != 0)
      return h->set_error(call, rc, NULL, "box %s: LLM gateway tunnel: %s", b->name, err);
  }
  snprintf(url, sizeof url, "http://127.0.0.1:%u",
           b->gw_guest_port ? b->gw_guest_port : b->gw_host_port);
  if (env_put(&b->gs.env, GS_GATEWAY_ENV, url) != 0)
    return h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  h->log(h->ctx, VBX_LOG_DEBUG, "box %s: LLM gateway at %s (%s host port %u)", b->name, url,
         b->gw_guest_port ? "tunnelled by the guest agent to" : "the box shares the network:",
         b->gw_host_port);
  return 0;
}

void gs_gateway_stop(gs_box *b) {
  gs_tunnels_stop(b->tunnels);
  b->tunnels = NULL;
}
