/*
 * gateway/respond.c - queueing a JSON answer (or an Anthropic error body)
 * on a libmicrohttpd connection. A 503 closes the connection after it.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/internal.h"

enum MHD_Result vbx__gw_reply(struct MHD_Connection *c, unsigned status, const char *json) {
  const char *body =
      json
          ? json
          : "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"out of memory\"}}";
  struct MHD_Response *r =
      vbx__mhd.create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
  if (r == NULL) return MHD_NO;
  vbx__mhd.add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
  if (status == 503) vbx__mhd.add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
  enum MHD_Result ok = vbx__mhd.queue_response(c, json ? status : 500, r);
  vbx__mhd.destroy_response(r);
  return ok;
}

enum MHD_Result vbx__gw_reply_error(struct MHD_Connection *c, unsigned status, const char *type,
                                    const char *message) {
  char *j = vbx__gw_error_json(type, message);
  enum MHD_Result ok = vbx__gw_reply(c, status, j);
  free(j);
  return ok;
}
