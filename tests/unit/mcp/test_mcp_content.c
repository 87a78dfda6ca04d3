/*
 * test_mcp_content - a tools/call result as text: every content type,
 * isError, structuredContent appended only when no text block carries it,
 * the text bound, and a result that is not one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mcp_content.h"

/* Flatten the JSON text `res` with bound max; returns the text (malloc'd). */
static char *flat(const char *res, size_t max, int want_rc, int *is_error) {
  json_t *j = json_loads(res, JSON_DECODE_ANY, NULL);
  assert_non_null(j);
  char *out = NULL;
  assert_int_equal(vbx_mcp_content_text(j, max, &out, is_error), want_rc);
  json_decref(j);
  assert_non_null(out);
  return out;
}

static void test_every_type(void **state) {
  (void)state;
  int err = -1;
  char *t = flat(
      "{\"content\":["
      "{\"type\":\"text\",\"text\":\"hello\"},"
      "{\"type\":\"image\",\"mimeType\":\"image/png\",\"data\":\"AAAAAAAAAAAAAA==\"},"
      "{\"type\":\"audio\",\"mimeType\":\"audio/wav\",\"data\":\"AAAA\"},"
      "{\"type\":\"resource_link\",\"name\":\"notes\",\"uri\":\"file:///n.txt\","
      "\"mimeType\":\"text/plain\"},"
      "{\"type\":\"resource\",\"resource\":{\"uri\":\"file:///a\",\"mimeType\":"
      "\"text/plain\",\"text\":\"inside\"}},"
      "{\"type\":\"resource\",\"resource\":{\"uri\":\"file:///b\",\"blob\":\"AAAAAA==\"}},"
      "{\"type\":\"hologram\"},{}],"
      "\"structuredContent\":{\"k\":1}}",
      0, 0, &err);
  assert_int_equal(err, 0);
  assert_string_equal(t,
                      "hello\n"
                      "[image: image/png, 10 bytes]\n"
                      "[audio: audio/wav, 3 bytes]\n"
                      "[resource link: notes <file:///n.txt> text/plain]\n"
                      "[resource file:///a: text/plain]\ninside\n"
                      "[resource file:///b, 4 bytes]\n"
                      "[hologram content]\n"
                      "[untyped content]\n"
                      "[structured content] {\"k\":1}");
  free(t);
}

static void test_is_error_and_structured(void **state) {
  (void)state;
  int err = 0;
  char *t =
      flat("{\"content\":[{\"type\":\"text\",\"text\":\"boom\"}],\"isError\":true}", 0, 0, &err);
  assert_int_equal(err, 1);
  assert_string_equal(t, "boom");
  free(t);
  /* carried by a text block (same JSON, other spacing): not repeated */
  t = flat(
      "{\"content\":[{\"type\":\"text\",\"text\":\"{ \\\"t\\\": 22 }\"}],"
      "\"structuredContent\":{\"t\":22}}",
      0, 0, &err);
  assert_int_equal(err, 0);
  assert_string_equal(t, "{ \"t\": 22 }");
  free(t);
  /* an object wrapping the text, or the text's JSON: not repeated */
  t = flat(
      "{\"content\":[{\"type\":\"text\",\"text\":\"line\\n\"}],"
      "\"structuredContent\":{\"content\":\"line\\n\"}}",
      0, 0, &err);
  assert_string_equal(t, "line\n");
  free(t);
  t = flat(
      "{\"content\":[{\"type\":\"text\",\"text\":\"[1, 2]\"}],"
      "\"structuredContent\":{\"entities\":[1,2]}}",
      0, 0, &err);
  assert_string_equal(t, "[1, 2]");
  free(t);
  /* a wrapper of something else, or of two members: shown */
  t = flat(
      "{\"content\":[{\"type\":\"text\",\"text\":\"line\"}],"
      "\"structuredContent\":{\"content\":\"other\"}}",
      0, 0, &err);
  assert_string_equal(t, "line\n[structured content] {\"content\":\"other\"}");
  free(t);
  t = flat(
      "{\"content\":[{\"type\":\"text\",\"text\":\"1\"}],"
      "\"structuredContent\":{\"a\":1,\"b\":1}}",
      0, 0, &err);
  assert_string_equal(t, "1\n[structured content] {\"a\":1,\"b\":1}");
  free(t);
  /* structured only */
  t = flat("{\"content\":[],\"structuredContent\":{\"t\":22}}", 0, 0, &err);
  assert_string_equal(t, "[structured content] {\"t\":22}");
  free(t);
  t = flat("{}", 0, 0, &err);
  assert_string_equal(t, "");
  free(t);
}

static void test_bound(void **state) {
  (void)state;
  int err;
  char *t = flat("{\"content\":[{\"type\":\"text\",\"text\":\"0123456789abcdef\"}]}", 10, 0, &err);
  assert_string_equal(t, "0123456789\n[output truncated]");
  free(t);
  t = flat("{\"content\":[{\"type\":\"text\",\"text\":\"0123456789\"}]}", 10, 0, &err);
  assert_string_equal(t, "0123456789"); /* exactly the bound: whole */
  free(t);
}

static void test_not_a_result(void **state) {
  (void)state;
  int err;
  char *t = flat("[1]", 0, VBX_E_PROTOCOL, &err);
  assert_non_null(strstr(t, "not an object with a content list"));
  free(t);
  t = flat("{\"content\":\"text\"}", 0, VBX_E_PROTOCOL, &err);
  free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_type),
      cmocka_unit_test(test_is_error_and_structured),
      cmocka_unit_test(test_bound),
      cmocka_unit_test(test_not_a_result),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
