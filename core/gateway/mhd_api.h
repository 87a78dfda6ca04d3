/*
 * gateway/mhd_api.h - the libmicrohttpd functions the LLM gateway uses,
 * reached through a table filled when the first gateway starts
 * (plugin/lazy_lib.h): a run without agent:claude-code never loads
 * libmicrohttpd or the TLS libraries it pulls in.
 */
#ifndef VBX_GATEWAY_MHD_API_H
#define VBX_GATEWAY_MHD_API_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <microhttpd.h>

typedef struct vbx__mhd_api {
  struct MHD_Daemon *(*start_daemon)(unsigned int flags, uint16_t port,
                                     MHD_AcceptPolicyCallback apc, void *apc_cls,
                                     MHD_AccessHandlerCallback dh, void *dh_cls, ...);
  void (*stop_daemon)(struct MHD_Daemon *d);
  const union MHD_ConnectionInfo *(*get_connection_info)(struct MHD_Connection *c,
                                                         enum MHD_ConnectionInfoType t, ...);
  const char *(*lookup_connection_value)(struct MHD_Connection *c, enum MHD_ValueKind kind,
                                         const char *key);
  struct MHD_Response *(*create_response_from_buffer)(size_t size, void *buffer,
                                                      enum MHD_ResponseMemoryMode mode);
  struct MHD_Response *(*create_response_from_callback)(uint64_t size, size_t block_size,
                                                        MHD_ContentReaderCallback crc,
                                                        void *crc_cls,
                                                        MHD_ContentReaderFreeCallback crfc);
  enum MHD_Result (*add_response_header)(struct MHD_Response *r, const char *header,
                                         const char *content);
  enum MHD_Result (*queue_response)(struct MHD_Connection *c, unsigned int status_code,
                                    struct MHD_Response *r);
  void (*destroy_response)(struct MHD_Response *r);
} vbx__mhd_api;

/* The table, valid once vbx__mhd_load returned 0: a gateway's handlers
 * run only after its daemon started, so they use it directly. */
extern vbx__mhd_api vbx__mhd;

/* vbx__mhd_load - load libmicrohttpd once (any thread; later calls return
 * the first result). Returns 0, or VBX_E_UNSUPPORTED with the reason in
 * err (cap bytes). */
int vbx__mhd_load(char *err, size_t cap);

#endif
