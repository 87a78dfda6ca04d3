/*
 * skill-remote/base.c - the base URL remote skills are fetched from, and
 * where in a repository a skill is looked for.
 *
 * The base serves raw.githubusercontent.com's layout,
 * BASE/OWNER/REPO/REF/PATH; REF is HEAD, the repository's default branch.
 * Plain http is for tests against a loopback server only: a skill is code
 * the model is told to follow, and fetching it in clear text from another
 * host would let anyone on the path rewrite it (the lock would refuse the
 * change, but not a first use).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "remote.h"

/* The skills CLI's priority list (vercel-labs/skills, src/skills.ts and
 * src/blob.ts), cut to the places skills are published in practice; the
 * repository root last, for a repository that is one skill. */
const char *const rskill_search_dirs[] = {"skills/%s",
                                          "%s",
                                          "skills/.curated/%s",
                                          "skills/.experimental/%s",
                                          "skills/.system/%s",
                                          ".agents/skills/%s",
                                          ".claude/skills/%s",
                                          ".",
                                          NULL};

/* A host that is this machine: 127.0.0.0/8 in dotted form, [::1],
 * localhost. */
static int loopback_host(const char *h, size_t n) {
  if (n == 9 && strncasecmp(h, "localhost", 9) == 0) return 1;
  if (n == 5 && memcmp(h, "[::1]", 5) == 0) return 1;
  if (n < 9 || memcmp(h, "127.", 4) != 0) return 0;
  int parts = 2, digits = 0; /* in the second of four parts */
  unsigned v = 0;
  for (size_t i = 4; i < n; i++) {
    if (h[i] == '.') {
      if (digits == 0) return 0;
      parts++, digits = 0, v = 0;
    } else if (h[i] >= '0' && h[i] <= '9' && digits < 3) {
      v = v * 10 + (unsigned)(h[i] - '0');
      if (++digits > 1 && v < 10) return 0; /* no leading zero: 127.0.0.01 */
      if (v > 255) return 0;
    } else {
      return 0;
    }
  }
  return parts == 4 && digits > 0;
}

int rskill_base_check(const char *url, char *out, size_t out_len, char *msg, size_t msg_len) {
  if (url == NULL || url[0] == '\0') {
    snprintf(msg, msg_len, "the remote skills base URL is empty");
    return VBX_E_INVAL;
  }
  size_t len = strnlen(url, RSKILL_URL_MAX / 2 + 1);
  if (len > RSKILL_URL_MAX / 2 || len >= out_len) {
    snprintf(msg, msg_len, "the remote skills base URL '%.60s...' is over %d bytes", url,
             RSKILL_URL_MAX / 2);
    return VBX_E_TOOBIG;
  }
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)url[i];
    if (c <= ' ' || c >= 0x7f || c == '"' || c == '\\' || c == '?' || c == '#') {
      snprintf(msg, msg_len,
               "the remote skills base URL '%.200s' may hold no space, control or non-ASCII "
               "character, quote, backslash, query or fragment",
               url);
      return VBX_E_INVAL;
    }
  }
  int https = strncasecmp(url, "https://", 8) == 0;
  if (!https && strncasecmp(url, "http://", 7) != 0) {
    snprintf(msg, msg_len, "the remote skills base URL '%.200s' must start with https://", url);
    return VBX_E_INVAL;
  }
  const char *host = url + (https ? 8 : 7);
  size_t hn = strcspn(host, "/");
  const char *colon = NULL;
  if (memchr(host, '@', hn) != NULL) {
    snprintf(msg, msg_len, "the remote skills base URL '%.200s' may not carry user information",
             url);
    return VBX_E_INVAL;
  }
  if (host[0] == '[') {
    const char *close = memchr(host, ']', hn);
    colon = close && (size_t)(close - host) + 1 < hn ? close + 1 : NULL;
    if (close == NULL || (colon && *colon != ':')) colon = host + hn; /* malformed */
  } else {
    colon = memchr(host, ':', hn);
  }
  size_t name_len = colon ? (size_t)(colon - host) : hn;
  int port_ok = 1;
  if (colon) {
    size_t pn = hn - name_len - 1;
    unsigned long port = 0;
    port_ok = pn >= 1 && pn <= 5 && colon < host + hn;
    for (size_t i = 1; port_ok && i <= pn; i++) {
      if (colon[i] < '0' || colon[i] > '9') port_ok = 0;
      port = port * 10 + (unsigned long)(colon[i] - '0');
    }
    if (port == 0 || port > 65535) port_ok = 0;
  }
  if (name_len == 0 || !port_ok) {
    snprintf(msg, msg_len, "the remote skills base URL '%.200s' has no valid host[:port]", url);
    return VBX_E_INVAL;
  }
  if (!https && !loopback_host(host, name_len)) {
    snprintf(msg, msg_len,
             "the remote skills base URL '%.200s' is plain http to a host that is not loopback; "
             "use https:// (http:// is accepted only for 127.0.0.1, [::1] or localhost, for "
             "tests)",
             url);
    return VBX_E_INVAL;
  }
  while (len > 0 && url[len - 1] == '/')
    len--;
  memcpy(out, url, len);
  out[len] = '\0';
  return 0;
}
