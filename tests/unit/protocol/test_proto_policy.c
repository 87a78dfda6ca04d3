/*
 * test_proto_policy.c - the guest agent's policy file (protocol/src/policy.c,
 * policy_write.c): parsing, every limit, malformed text refused, and what
 * the writer writes reads back to the same policy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "voidbox/protocol/policy.h"
#include "voidbox/protocol/wire.h"

static struct vbx_proto_policy P, Q;
static char err[256];

static int parse(const char *t, struct vbx_proto_policy *p) {
  vbx_proto_policy_init(p);
  err[0] = '\0';
  return vbx_proto_policy_parse(t, strlen(t), p, err, sizeof err);
}

/* Write p, parse it back into Q, compare field by field. */
static void round_trip(const struct vbx_proto_policy *p) {
  static char text[VBX_PROTO_POLICY_MAX_BYTES + 1];
  size_t len = 0;
  assert_int_equal(vbx_proto_policy_write(p, "written by a test", text, sizeof text, &len), 0);
  assert_int_equal(len, strlen(text));
  if (parse(text, &Q) != 0) fail_msg("written policy does not parse: %s\n%s", err, text);
  assert_int_equal(Q.allow_all, p->allow_all);
  assert_int_equal(Q.n_allow, p->n_allow);
  for (size_t i = 0; i < p->n_allow; i++)
    assert_string_equal(Q.allow[i], p->allow[i]);
  assert_int_equal(Q.n_writable, p->n_writable);
  for (size_t i = 0; i < p->n_writable; i++)
    assert_string_equal(Q.writable[i], p->writable[i]);
  assert_true(Q.have_uid == p->have_uid && Q.have_gid == p->have_gid);
  assert_true(Q.uid == p->uid && Q.gid == p->gid);
  assert_true(Q.max_procs == p->max_procs && Q.max_execs == p->max_execs);
  assert_true(Q.max_output == p->max_output);
  assert_int_equal(Q.n_rlimits, p->n_rlimits);
  assert_memory_equal(Q.rlimits, p->rlimits, p->n_rlimits * sizeof p->rlimits[0]);
  assert_int_equal(Q.llm_gateway_port, p->llm_gateway_port);
}

/* llm_gateway_port: a TCP port, written last, read back; anything else
 * (0, above 65535, a size suffix, a word) refused naming the key. */
static void test_llm_gateway_port(void **s) {
  (void)s;
  assert_int_equal(parse("allow = *\nllm_gateway_port = 4000\n", &P), 0);
  assert_int_equal(P.llm_gateway_port, 4000);
  round_trip(&P);
  P.llm_gateway_port = 65535;
  round_trip(&P);
  static const char *const bad[] = {"0", "65536", "4k", "port", "-1", "4000x", "unlimited"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char t[64];
    snprintf(t, sizeof t, "llm_gateway_port = %s\n", bad[i]);
    assert_int_equal(parse(t, &P), VBX_PROTO_E_PROTOCOL);
    assert_non_null(strstr(err, "key 'llm_gateway_port': needs a TCP port"));
  }
  char text[256];
  size_t len;
  vbx_proto_policy_init(&P);
  P.llm_gateway_port = 70000;
  assert_int_equal(vbx_proto_policy_write(&P, NULL, text, sizeof text, &len), VBX_PROTO_E_INVAL);
}

static void test_parse_ok(void **s) {
  (void)s;
  assert_int_equal(parse("# c\nallow = sh\nallow=/usr/bin/python3  # inline\nuid = 65534\n"
                         "gid=100\nmax_procs = 64\nmax_execs = 8\nmax_output_bytes = 2m\n"
                         "rlimit.nofile = 256:512\nrlimit.as = unlimited\nwritable = /workspace/\n"
                         "writable = /tmp\nwritable = /\n\n  \n\t# only a comment\n",
                         &P),
                   0);
  assert_int_equal(P.n_allow, 2);
  assert_string_equal(P.allow[1], "/usr/bin/python3");
  assert_true(P.have_uid && P.uid == 65534 && P.have_gid && P.gid == 100);
  assert_int_equal(P.max_procs, 64);
  assert_int_equal(P.max_execs, 8);
  assert_int_equal(P.max_output, 2u << 20);
  assert_int_equal(P.n_rlimits, 2);
  assert_int_equal(P.rlimits[0].resource, RLIMIT_NOFILE);
  assert_int_equal(P.rlimits[0].soft, 256);
  assert_int_equal(P.rlimits[0].hard, 512);
  assert_true(P.rlimits[1].soft == UINT64_MAX && P.rlimits[1].hard == UINT64_MAX);
  assert_string_equal(P.writable[0], "workspace");
  assert_string_equal(P.writable[1], "tmp");
  assert_string_equal(P.writable[2], "");
  assert_int_equal(parse("allow = *", &P), 0); /* no final newline */
  assert_true(P.allow_all);
  assert_int_equal(parse("", &P), 0);
  assert_false(P.allow_all);
  assert_int_equal(P.n_allow, 0);
}

static void test_malformed_refused(void **s) {
  (void)s;
  static const struct {
    const char *text, *want;
  } bad[] = {
      {"allow\n", "line 1: expected"},
      {"\nbogus = 1\n", "line 2: key 'bogus': unknown key"},
      {"uid = -1\n", "key 'uid'"},
      {"uid = abc\n", "key 'uid'"},
      {"uid = 4294967295\n", "numeric id"},
      {"gid = 4294967296\n", "numeric id"},
      {"max_procs = 0\n", "key 'max_procs'"},
      {"max_execs = 1x\n", "positive number"},
      {"rlimit.nofile = 10:5\n", "SOFT <= HARD"},
      {"rlimit.bogus = 1\n", "unknown resource"},
      {"rlimit.cpu = 1\nrlimit.cpu = 2\n", "given twice"},
      {"rlimit.cpu = 1:\n", "SOFT[:HARD]"},
      {"writable = tmp\n", "absolute"},
      {"writable = /a/../b\n", "absolute"},
      {"max_output_bytes = 5x\n", "byte count"},
      {"max_output_bytes = 99999999999999999999\n", "byte count"},
      {"max_output_bytes = 17179869184g\n", "byte count"},
      {"allow =\n", "has no value"},
      {"= x\n", "key ''"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (parse(bad[i].text, &P) != VBX_PROTO_E_PROTOCOL || strstr(err, bad[i].want) == NULL)
      fail_msg("policy %zu: '%s' lacks '%s'", i, err, bad[i].want);
  }
  assert_int_equal(vbx_proto_policy_parse("allow = a\0b\n", 12, &P, err, sizeof err),
                   VBX_PROTO_E_PROTOCOL);
  assert_non_null(strstr(err, "NUL byte"));
}

static void test_limits(void **s) {
  (void)s;
  static char t[2 * VBX_PROTO_POLICY_MAX_BYTES];
  /* a line of exactly MAX_LINE bytes is fine, one more is not */
  memset(t, ' ', VBX_PROTO_POLICY_MAX_LINE);
  t[VBX_PROTO_POLICY_MAX_LINE] = '\0';
  assert_int_equal(parse(t, &P), 0);
  memset(t, ' ', VBX_PROTO_POLICY_MAX_LINE + 1);
  t[VBX_PROTO_POLICY_MAX_LINE + 1] = '\0';
  assert_int_equal(parse(t, &P), VBX_PROTO_E_TOOBIG);
  assert_non_null(strstr(err, "longer than 1023"));
  /* the whole text */
  memset(t, '\n', VBX_PROTO_POLICY_MAX_BYTES);
  assert_int_equal(vbx_proto_policy_parse(t, VBX_PROTO_POLICY_MAX_BYTES, &P, err, sizeof err), 0);
  assert_int_equal(vbx_proto_policy_parse(t, VBX_PROTO_POLICY_MAX_BYTES + 1, &P, err, sizeof err),
                   VBX_PROTO_E_TOOBIG);
  /* entries: 255 bytes fit, 256 do not; 64 entries fit, 65 do not */
  char entry[300], line[400];
  memset(entry, 'a', 255);
  entry[255] = '\0';
  snprintf(line, sizeof line, "allow = %s\n", entry);
  assert_int_equal(parse(line, &P), 0);
  assert_string_equal(P.allow[0], entry);
  strcpy(entry + 255, "a");
  snprintf(line, sizeof line, "allow = %s\n", entry);
  assert_int_equal(parse(line, &P), VBX_PROTO_E_PROTOCOL);
  t[0] = '\0';
  for (int i = 0; i <= VBX_PROTO_POLICY_MAX_ENTRIES; i++)
    sprintf(t + strlen(t), "allow = c%d\nwritable = /w%d\n", i, i);
  assert_int_equal(parse(t, &P), VBX_PROTO_E_PROTOCOL);
  assert_int_equal(P.n_allow, VBX_PROTO_POLICY_MAX_ENTRIES);
  assert_int_equal(P.n_writable, VBX_PROTO_POLICY_MAX_ENTRIES);
  /* rlimits: each of the 10 names once fits (MAX_RLIMITS is above that) */
  assert_int_equal(parse("rlimit.as=1\nrlimit.core=1\nrlimit.cpu=1\nrlimit.data=1\n"
                         "rlimit.fsize=1\nrlimit.nofile=1\nrlimit.nproc=1\nrlimit.stack=1\n"
                         "rlimit.memlock=1\nrlimit.msgqueue=1k:1g\n",
                         &P),
                   0);
  assert_int_equal(P.n_rlimits, 10);
}

static void test_round_trip(void **s) {
  (void)s;
  vbx_proto_policy_init(&P);
  round_trip(&P); /* the empty policy */
  assert_int_equal(parse("allow = *\nallow = sh\nallow = a=b c\nuid = 0\ngid = 4294967294\n"
                         "max_procs = 1\nmax_execs = 4294967295\nmax_output_bytes = unlimited\n"
                         "rlimit.core = 0\nrlimit.nofile = 4096\nrlimit.cpu = 5:unlimited\n"
                         "writable = /\nwritable = //a//b//\nwritable = / a /\n",
                         &P),
                   0);
  round_trip(&P);
  /* the fullest policy: every list at its limit, entries at their longest */
  vbx_proto_policy_init(&P);
  for (int i = 0; i < VBX_PROTO_POLICY_MAX_ENTRIES; i++) {
    memset(P.allow[i], 'x', VBX_PROTO_POLICY_ENTRY_SIZE - 1);
    P.allow[i][0] = (char)('A' + i % 26);
    memset(P.writable[i], 'y', VBX_PROTO_POLICY_ENTRY_SIZE - 1);
  }
  P.n_allow = P.n_writable = VBX_PROTO_POLICY_MAX_ENTRIES;
  round_trip(&P);
}

static void test_writer_refuses(void **s) {
  (void)s;
  char text[4096];
  size_t len;
  static const char *bad_allow[] = {"*", "", " sh", "sh ", "a#b", "a\nb"};
  for (size_t i = 0; i < sizeof bad_allow / sizeof bad_allow[0]; i++) {
    vbx_proto_policy_init(&P);
    strcpy(P.allow[0], bad_allow[i]);
    P.n_allow = 1;
    assert_int_equal(vbx_proto_policy_write(&P, NULL, text, sizeof text, &len), VBX_PROTO_E_INVAL);
  }
  static const char *bad_writable[] = {"/a", "a/", "a/../b", "a#", "a\nb"};
  for (size_t i = 0; i < sizeof bad_writable / sizeof bad_writable[0]; i++) {
    vbx_proto_policy_init(&P);
    strcpy(P.writable[0], bad_writable[i]);
    P.n_writable = 1;
    assert_int_equal(vbx_proto_policy_write(&P, NULL, text, sizeof text, &len), VBX_PROTO_E_INVAL);
  }
  vbx_proto_policy_init(&P);
  P.have_uid = 1, P.uid = UINT32_MAX;
  assert_int_equal(vbx_proto_policy_write(&P, NULL, text, sizeof text, &len), VBX_PROTO_E_INVAL);
  vbx_proto_policy_init(&P);
  P.rlimits[0] = (struct vbx_proto_policy_rlimit){RLIMIT_CPU, 5, 4};
  P.n_rlimits = 1;
  assert_int_equal(vbx_proto_policy_write(&P, NULL, text, sizeof text, &len), VBX_PROTO_E_INVAL);
  P.rlimits[0] = (struct vbx_proto_policy_rlimit){RLIMIT_CPU, 1, 1};
  P.rlimits[1] = P.rlimits[0];
  P.n_rlimits = 2;
  assert_int_equal(vbx_proto_policy_write(&P, NULL, text, sizeof text, &len), VBX_PROTO_E_INVAL);
  P.rlimits[0].resource = 12345;
  P.n_rlimits = 1;
  assert_int_equal(vbx_proto_policy_write(&P, NULL, text, sizeof text, &len), VBX_PROTO_E_INVAL);
  vbx_proto_policy_init(&P);
  P.n_allow = VBX_PROTO_POLICY_MAX_ENTRIES + 1;
  assert_int_equal(vbx_proto_policy_write(&P, NULL, text, sizeof text, &len), VBX_PROTO_E_INVAL);
  vbx_proto_policy_init(&P);
  assert_int_equal(vbx_proto_policy_write(&P, "two\nlines", text, sizeof text, &len),
                   VBX_PROTO_E_INVAL);
  /* too small a buffer */
  P.allow_all = 1;
  assert_int_equal(vbx_proto_policy_write(&P, NULL, text, 5, &len), VBX_PROTO_E_TOOBIG);
  assert_string_equal(text, "");
  assert_int_equal(vbx_proto_policy_write(&P, NULL, text, 0, &len), VBX_PROTO_E_TOOBIG);
  assert_int_equal(vbx_proto_policy_write(&P, NULL, text, sizeof text, &len), 0);
  assert_string_equal(text, "allow = *\n");
}

/* vbx_proto_policy_set: one key, with the reason it is refused. */
static void test_set(void **s) {
  (void)s;
  char why[160];
  vbx_proto_policy_init(&P);
  assert_int_equal(vbx_proto_policy_set(&P, "writable", "/a/b/", why, sizeof why), 0);
  assert_string_equal(P.writable[0], "a/b");
  assert_int_equal(vbx_proto_policy_set(&P, "writable", "rel", why, sizeof why),
                   VBX_PROTO_E_PROTOCOL);
  assert_non_null(strstr(why, "absolute"));
  assert_int_equal(P.n_writable, 1);
  assert_int_equal(vbx_proto_policy_set(&P, "nope", "1", why, sizeof why), VBX_PROTO_E_PROTOCOL);
  assert_string_equal(why, "unknown key");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_ok),         cmocka_unit_test(test_malformed_refused),
      cmocka_unit_test(test_limits),           cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_writer_refuses),   cmocka_unit_test(test_set),
      cmocka_unit_test(test_llm_gateway_port),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
