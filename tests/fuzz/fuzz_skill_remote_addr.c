/*
 * fuzz_skill_remote_addr.c - libFuzzer target for what a spec or a command
 * line hands the remote skill type before anything becomes a cache path
 * or a URL (plugins/skill-remote/addr.c, base.c).
 *
 * The input, NUL-terminated at its first NUL, is parsed as an address and
 * as a base URL:
 * 1. An accepted address has an owner, repository and skill made only of
 *    their allowed characters, none of them "." or containing "..", and a
 *    key "OWNER/REPO@SKILL" that parses again to the same parts.
 * 2. An accepted base URL is no longer than the input, starts with
 *    https:// or (loopback only) http://, has no trailing slash, no space,
 *    quote, backslash, '?' or '#', and is accepted again unchanged.
 * 3. Every message is NUL-terminated within its buffer.
 * Invariants are checked with __builtin_trap so libFuzzer reports them.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "remote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                \
  do {                          \
    if (!(c)) __builtin_trap(); \
  } while (0)

static int only(const char *s, const char *allowed) { return s[strspn(s, allowed)] == '\0'; }

#define ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

static void addr(const char *text) {
  rskill_addr a, b;
  char msg[256];
  memset(msg, 'x', sizeof msg);
  if (rskill_addr_parse(text, &a, msg, sizeof msg) != 0) {
    CHECK(memchr(msg, '\0', sizeof msg) != NULL);
    CHECK(a.key[0] == '\0');
    return;
  }
  CHECK(a.owner[0] != '\0' && a.owner[0] != '-' && only(a.owner, ALNUM "-"));
  CHECK(a.repo[0] != '\0' && only(a.repo, ALNUM "-._"));
  CHECK(strcmp(a.repo, ".") != 0 && strstr(a.repo, "..") == NULL);
  CHECK(a.skill[0] != '\0' && only(a.skill, "abcdefghijklmnopqrstuvwxyz0123456789-"));
  CHECK(strlen(a.key) <= RSKILL_KEY_MAX);
  CHECK(rskill_addr_parse(a.key, &b, msg, sizeof msg) == 0);
  CHECK(!strcmp(a.owner, b.owner) && !strcmp(a.repo, b.repo) && !strcmp(a.skill, b.skill) &&
        !strcmp(a.key, b.key));
}

static void base(const char *text, size_t len) {
  char out[RSKILL_URL_MAX], again[RSKILL_URL_MAX], msg[256];
  memset(msg, 'x', sizeof msg);
  if (rskill_base_check(text, out, sizeof out, msg, sizeof msg) != 0) {
    CHECK(memchr(msg, '\0', sizeof msg) != NULL);
    return;
  }
  size_t n = strlen(out);
  CHECK(n <= len && n > 0 && out[n - 1] != '/');
  int https = strncasecmp(out, "https://", 8) == 0;
  CHECK(https || strncasecmp(out, "http://", 7) == 0);
  CHECK(strpbrk(out, " \"\\?#") == NULL);
  if (!https) {
    const char *host = out + 7;
    CHECK(!strncmp(host, "127.", 4) || !strncmp(host, "[::1]", 5) ||
          !strncasecmp(host, "localhost", 9));
  }
  CHECK(rskill_base_check(out, again, sizeof again, msg, sizeof msg) == 0);
  CHECK(strcmp(out, again) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096) return 0;
  char *text = malloc(size + 1);
  if (text == NULL) return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  addr(text);
  base(text, strlen(text));
  free(text);
  return 0;
}
