/*
 * netstack/host_info.c - the host's addresses and resolvers (host_info.h).
 */
#include "host_info.h"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int ns_host_addrs(vbx_np_host_addrs *out) {
  struct ifaddrs *ifs;
  memset(out, 0, sizeof *out);
  if (getifaddrs(&ifs) != 0) return -1;
  for (struct ifaddrs *i = ifs; i != NULL && out->n < VBX_NP_MAX_HOST_ADDRS; i = i->ifa_next) {
    if (i->ifa_addr == NULL) continue;
    if (i->ifa_addr->sa_family == AF_INET) {
      const struct sockaddr_in *s = (const struct sockaddr_in *)i->ifa_addr;
      vbx_np_from_v4(s->sin_addr.s_addr, out->addr[out->n++]);
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)i->ifa_addr;
      memcpy(out->addr[out->n++], &s->sin6_addr, 16);
    }
  }
  freeifaddrs(ifs);
  return 0;
}

size_t ns_resolv_conf_parse(const char *text, vbx_np_dns *out, size_t cap) {
  size_t n = 0;
  const char *line = text;
  while (line != NULL && *line != '\0' && n < cap) {
    const char *end = strchr(line, '\n');
    size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
    char buf[128], addr[64];
    if (len < sizeof buf) {
      memcpy(buf, line, len);
      buf[len] = '\0';
      char *pct;
      /* "nameserver", blanks, the address: not "nameserver1.2.3.4" */
      if (sscanf(buf, " nameserver%*[ \t]%63s", addr) == 1) {
        if ((pct = strchr(addr, '%')) != NULL) *pct = '\0'; /* fe80::1%eth0: scope dropped */
        if (vbx_np_addr_parse(addr, out[n].addr) == 0) out[n++].port = 53;
      }
    }
    line = end != NULL ? end + 1 : NULL;
  }
  return n;
}

size_t ns_resolv_conf_read(const char *path, vbx_np_dns *out, size_t cap) {
  FILE *f = fopen(path, "re");
  if (f == NULL) return 0;
  static char text[65536];
  size_t len = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[len] = '\0';
  return ns_resolv_conf_parse(text, out, cap);
}
