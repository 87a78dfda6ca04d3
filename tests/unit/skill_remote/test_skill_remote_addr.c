/*
 * test_skill_remote_addr - remote skill addresses and base URLs: every
 * accepted form with its canonical key, and one refusal per rule with the
 * part of the message that names it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "remote.h"

static void ok(const char *text, const char *owner, const char *repo, const char *skill) {
  rskill_addr a;
  char msg[900] = "";
  int rc = rskill_addr_parse(text, &a, msg, sizeof msg);
  if (rc != 0) print_error("'%s' refused: %s\n", text, msg);
  assert_int_equal(rc, 0);
  assert_string_equal(a.owner, owner);
  assert_string_equal(a.repo, repo);
  assert_string_equal(a.skill, skill);
  char key[RSKILL_KEY_MAX + 1];
  snprintf(key, sizeof key, "%s/%s@%s", owner, repo, skill);
  assert_string_equal(a.key, key);
  /* The key is an address too, and the same one. */
  rskill_addr b;
  assert_int_equal(rskill_addr_parse(a.key, &b, msg, sizeof msg), 0);
  assert_string_equal(b.key, a.key);
}

static void bad(const char *text, int code, const char *needle) {
  rskill_addr a;
  char msg[900] = "";
  int rc = rskill_addr_parse(text, &a, msg, sizeof msg);
  if (rc != code || strstr(msg, needle) == NULL)
    print_error("'%s': rc %d msg '%s', want %d and '%s'\n", text ? text : "(null)", rc, msg, code,
                needle);
  assert_int_equal(rc, code);
  assert_non_null(strstr(msg, needle));
  assert_string_equal(a.key, "");
}

static void test_addr_forms(void **state) {
  (void)state;
  ok("anthropics/skills@pdf", "anthropics", "skills", "pdf");
  ok("anthropics/skills/pdf", "anthropics", "skills", "pdf");
  ok("vercel-labs/agent-skills@web-design-guidelines", "vercel-labs", "agent-skills",
     "web-design-guidelines");
  ok("A1/.github@x", "A1", ".github", "x");
  ok("o/r.e_p-o@s1-2", "o", "r.e_p-o", "s1-2");
  char longest[RSKILL_KEY_MAX + 1];
  snprintf(longest, sizeof longest, "%s/%s@%s", "ooooooooooooooooooooooooooooooooooooooo", /* 39 */
           "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"
           "rrrrrrrrrrrrrrrr", /* 100 */
           "ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss" /* 64 */);
  assert_int_equal(strlen(longest), RSKILL_KEY_MAX);
  rskill_addr a;
  char msg[300];
  assert_int_equal(rskill_addr_parse(longest, &a, msg, sizeof msg), 0);
}

static void test_addr_refused(void **state) {
  (void)state;
  bad(NULL, VBX_E_INVAL, "needs an address");
  bad("", VBX_E_INVAL, "needs an address");
  bad("pdf", VBX_E_INVAL, "expected OWNER/REPO@SKILL or OWNER/REPO/SKILL");
  bad("anthropics/skills", VBX_E_INVAL, "(no skill named)");
  bad("a/b/c/d", VBX_E_INVAL, "no deeper path");
  bad("a/b@c/d", VBX_E_INVAL, "no deeper path");
  bad("a/b/c@d", VBX_E_INVAL, "no deeper path");
  bad("a/b@c@d", VBX_E_INVAL, "no deeper path");
  bad("/b@c", VBX_E_INVAL, "the owner must be 1 to 39 characters");
  bad("-a/b@c", VBX_E_INVAL, "the owner '-a' may hold only letters, digits and '-'");
  bad("a_b/c@d", VBX_E_INVAL, "the owner 'a_b'");
  bad("a/@c", VBX_E_INVAL, "the repository must be 1 to 100 characters");
  bad("a//c", VBX_E_INVAL, "the repository must be 1 to 100 characters");
  bad("a/b c@d", VBX_E_INVAL, "the repository 'b c' may hold only");
  bad("a/../b", VBX_E_INVAL, "may not be '.' or contain '..'");
  bad("a/./b", VBX_E_INVAL, "may not be '.' or contain '..'");
  bad("a/b..c@d", VBX_E_INVAL, "contain '..'");
  bad("a/b@", VBX_E_INVAL, "the skill name '' must be 1 to 64");
  bad("a/b@PDF", VBX_E_INVAL, "the skill name 'PDF'");
  bad("a/b@-x", VBX_E_INVAL, "the skill name '-x'");
  bad("a/b@x--y", VBX_E_INVAL, "the skill name 'x--y'");
  bad("a/b@..", VBX_E_INVAL, "the skill name '..'");
  bad("https://github.com/a/b", VBX_E_INVAL,
      "a URL is not an address: name the skill as OWNER/REPO@SKILL (skills.base_url says where "
      "from)");
  bad("a/b@x\n", VBX_E_INVAL, "the skill name");
  char owner40[64];
  snprintf(owner40, sizeof owner40, "%s/r@s", "oooooooooooooooooooooooooooooooooooooooo");
  bad(owner40, VBX_E_INVAL, "the owner must be 1 to 39 characters");
  char huge[400];
  memset(huge, 'a', sizeof huge - 1);
  huge[sizeof huge - 1] = '\0';
  bad(huge, VBX_E_TOOBIG, "is over 205 characters");
}

static void base_ok(const char *url, const char *want) {
  char out[RSKILL_URL_MAX], msg[900] = "";
  int rc = rskill_base_check(url, out, sizeof out, msg, sizeof msg);
  if (rc != 0) print_error("'%s' refused: %s\n", url, msg);
  assert_int_equal(rc, 0);
  assert_string_equal(out, want);
}

static void base_bad(const char *url, const char *needle) {
  char out[RSKILL_URL_MAX], msg[900] = "";
  int rc = rskill_base_check(url, out, sizeof out, msg, sizeof msg);
  if (rc == 0 || strstr(msg, needle) == NULL)
    print_error("'%s': rc %d msg '%s', want '%s'\n", url, rc, msg, needle);
  assert_true(rc == VBX_E_INVAL || rc == VBX_E_TOOBIG);
  assert_non_null(strstr(msg, needle));
}

static void test_base_urls(void **state) {
  (void)state;
  base_ok("https://raw.githubusercontent.com", "https://raw.githubusercontent.com");
  base_ok("https://mirror.example.com:8443/raw/", "https://mirror.example.com:8443/raw");
  base_ok("HTTPS://x.example//", "HTTPS://x.example");
  base_ok("http://127.0.0.1:8080", "http://127.0.0.1:8080");
  base_ok("http://127.10.0.255/skills", "http://127.10.0.255/skills");
  base_ok("http://localhost:1234", "http://localhost:1234");
  base_ok("http://[::1]:1234/", "http://[::1]:1234");
  base_ok("https://[2001:db8::1]:443", "https://[2001:db8::1]:443");
  base_bad("", "is empty");
  base_bad("ftp://x.example", "must start with https://");
  base_bad("raw.githubusercontent.com", "must start with https://");
  base_bad("http://example.com", "plain http to a host that is not loopback");
  base_bad("http://10.0.0.1:8080", "not loopback");
  base_bad("http://127.0.0.1.evil.example", "not loopback");
  base_bad("http://127.0.0.01", "not loopback");
  base_bad("http://127.0.0.256", "not loopback");
  base_bad("http://127.0.0", "not loopback");
  base_bad("http://[::2]:80", "not loopback");
  base_bad("http://localhost.example", "not loopback");
  base_bad("https://user:pw@x.example", "may not carry user information");
  base_bad("https://x.example/?a=1", "query or fragment");
  base_bad("https://x.example/#f", "query or fragment");
  base_bad("https://x.example/a b", "no space");
  base_bad("https://x.example/\"", "quote");
  base_bad("https://", "has no valid host[:port]");
  base_bad("https://x.example:", "has no valid host[:port]");
  base_bad("https://x.example:0", "has no valid host[:port]");
  base_bad("https://x.example:65536", "has no valid host[:port]");
  base_bad("https://x.example:8a", "has no valid host[:port]");
  base_bad("https://[::1", "has no valid host[:port]");
  base_bad("https://[::1]x", "has no valid host[:port]");
  char huge[RSKILL_URL_MAX];
  snprintf(huge, sizeof huge, "https://x.example/");
  memset(huge + 18, 'a', sizeof huge - 19);
  huge[sizeof huge - 1] = '\0';
  base_bad(huge, "is over 1024 bytes");
}

static void test_search_dirs(void **state) {
  (void)state;
  /* The skills CLI's priority order, the root last. */
  assert_string_equal(rskill_search_dirs[0], "skills/%s");
  assert_string_equal(rskill_search_dirs[1], "%s");
  size_t n = 0;
  while (rskill_search_dirs[n] != NULL)
    n++;
  assert_true(n >= 3 && n < 16);
  assert_string_equal(rskill_search_dirs[n - 1], ".");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_addr_forms),
      cmocka_unit_test(test_addr_refused),
      cmocka_unit_test(test_base_urls),
      cmocka_unit_test(test_search_dirs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
