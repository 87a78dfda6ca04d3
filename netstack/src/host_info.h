/*
 * netstack/host_info.h - what the helper learns about the host before its
 * system-call filter goes on: its own interface addresses (denied by
 * default) and the resolvers of resolv.conf (the upstreams when the policy
 * lists none).
 */
#ifndef NETSTACK_HOST_INFO_H
#define NETSTACK_HOST_INFO_H

#include <stddef.h>

#include "netstack/policy.h"

/* The host's interface addresses (up to VBX_NP_MAX_HOST_ADDRS). 0 or -1. */
int ns_host_addrs(vbx_np_host_addrs *out);

/* The `nameserver` lines of the resolv.conf text (up to VBX_NP_MAX_DNS,
 * port 53). Returns how many. */
size_t ns_resolv_conf_parse(const char *text, vbx_np_dns *out, size_t cap);

/* ns_resolv_conf_parse of the file at path (bounded to 64 KiB); 0 when it
 * cannot be read. */
size_t ns_resolv_conf_read(const char *path, vbx_np_dns *out, size_t cap);

#endif
