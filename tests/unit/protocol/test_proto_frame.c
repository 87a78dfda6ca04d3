/*
 * test_proto_frame.c - frame header, one-shot parse, output buffers and the
 * incremental stream decoder.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "voidbox/protocol/protocol.h"

static void test_header_layout(void **state) {
  struct vbx_proto_header h = {0, VBX_PROTO_T_EXIT, 0, 0x04030201u, 0x00000028u};
  static const uint8_t want[16] = {'V', 'B', 1, 0x16, 0, 0, 0, 0, 1, 2, 3, 4, 0x28, 0, 0, 0};
  uint8_t raw[16];
  struct vbx_proto_header back;

  (void)state;
  vbx_proto_header_pack(&h, raw);
  assert_memory_equal(raw, want, 16);
  assert_int_equal(vbx_proto_header_parse(raw, 0, &back), 0);
  assert_int_equal(back.version, 1);
  assert_int_equal(back.type, VBX_PROTO_T_EXIT);
  assert_int_equal(back.id, 0x04030201u);
  assert_int_equal(back.length, 40);
  assert_string_equal(vbx_proto_type_name(VBX_PROTO_T_EXIT), "EXIT");
  assert_null(vbx_proto_type_name(0));
  assert_null(vbx_proto_type_name(0x09));
  assert_null(vbx_proto_type_name(0xff));
}

static void test_header_rejects(void **state) {
  struct vbx_proto_header h = {0, VBX_PROTO_T_PING, 0, 1, 8};
  struct vbx_proto_header out;
  uint8_t raw[16], bad[16];

  (void)state;
  vbx_proto_header_pack(&h, raw);
  memcpy(bad, raw, 16);
  bad[0] = 'X';
  assert_int_equal(vbx_proto_header_parse(bad, 0, &out), VBX_PROTO_E_PROTOCOL);
  memcpy(bad, raw, 16);
  bad[1] = 0;
  assert_int_equal(vbx_proto_header_parse(bad, 0, &out), VBX_PROTO_E_PROTOCOL);
  memcpy(bad, raw, 16);
  bad[2] = 2;
  assert_int_equal(vbx_proto_header_parse(bad, 0, &out), VBX_PROTO_E_VERSION);
  memcpy(bad, raw, 16);
  bad[2] = 0;
  assert_int_equal(vbx_proto_header_parse(bad, 0, &out), VBX_PROTO_E_VERSION);
  memcpy(bad, raw, 16);
  bad[3] = 0x7f;
  assert_int_equal(vbx_proto_header_parse(bad, 0, &out), VBX_PROTO_E_PROTOCOL);
  memcpy(bad, raw, 16);
  bad[4] = 1;
  assert_int_equal(vbx_proto_header_parse(bad, 0, &out), VBX_PROTO_E_PROTOCOL);
  memcpy(bad, raw, 16);
  bad[7] = 1;
  assert_int_equal(vbx_proto_header_parse(bad, 0, &out), VBX_PROTO_E_PROTOCOL);
  /* length over the hard limit and over a configured lower limit */
  memcpy(bad, raw, 16);
  bad[12] = 1;
  bad[13] = 0;
  bad[14] = 0x10;
  bad[15] = 0;
  assert_int_equal(vbx_proto_header_parse(bad, 0, &out), VBX_PROTO_E_TOOBIG);
  memcpy(bad, raw, 16);
  bad[12] = 0;
  bad[13] = 0;
  bad[14] = 0x10;
  bad[15] = 0;
  assert_int_equal(vbx_proto_header_parse(bad, 0, &out), 0); /* exactly 1 MiB */
  assert_int_equal(vbx_proto_header_parse(bad, 4096, &out), VBX_PROTO_E_TOOBIG);
  memset(bad + 12, 0xff, 4);
  assert_int_equal(vbx_proto_header_parse(bad, 0, &out), VBX_PROTO_E_TOOBIG);
}

static void test_frame_parse_partial(void **state) {
  struct vbx_proto_buf b;
  struct vbx_proto_frame f;
  size_t n, flen;

  (void)state;
  vbx_proto_buf_init_growable(&b, 0);
  assert_int_equal(vbx_proto_encode_ping(&b, VBX_PROTO_T_PING, 9, 0x1122334455667788ull), 0);
  assert_int_equal(b.len, 24);
  for (n = 0; n < b.len; n++)
    assert_int_equal(vbx_proto_frame_parse(b.data, n, 0, &f, &flen), VBX_PROTO_E_AGAIN);
  assert_int_equal(vbx_proto_frame_parse(b.data, b.len, 0, &f, &flen), 0);
  assert_int_equal(flen, 24);
  assert_int_equal(f.hdr.id, 9);
  assert_ptr_equal(f.payload, b.data + 16);
  vbx_proto_buf_fini(&b);
}

static void test_buf_fixed_rollback(void **state) {
  uint8_t mem[30];
  struct vbx_proto_buf b;

  (void)state;
  vbx_proto_buf_init_fixed(&b, mem, sizeof(mem));
  assert_int_equal(vbx_proto_encode_ping(&b, VBX_PROTO_T_PING, 1, 5), 0);
  assert_int_equal(b.len, 24);
  /* second frame does not fit: error and no partial frame */
  assert_int_equal(vbx_proto_encode_ping(&b, VBX_PROTO_T_PONG, 1, 5), VBX_PROTO_E_TOOBIG);
  assert_int_equal(b.len, 24);
  assert_int_equal(vbx_proto_encode_empty(&b, VBX_PROTO_T_OK, 0), VBX_PROTO_E_INVAL);
  vbx_proto_buf_consume(&b, 10);
  assert_int_equal(b.len, 14);
  vbx_proto_buf_consume(&b, 100);
  assert_int_equal(b.len, 0);
  vbx_proto_buf_fini(&b);
}

static void test_buf_growable_limit(void **state) {
  struct vbx_proto_buf b;
  uint8_t *big = calloc(1, VBX_PROTO_MAX_PAYLOAD + 1);
  int i;

  (void)state;
  assert_non_null(big);
  vbx_proto_buf_init_growable(&b, 100);
  for (i = 0; i < 4; i++)
    assert_int_equal(vbx_proto_encode_ping(&b, VBX_PROTO_T_PING, 0, (uint64_t)i), 0);
  assert_int_equal(vbx_proto_encode_ping(&b, VBX_PROTO_T_PING, 0, 4), VBX_PROTO_E_TOOBIG);
  assert_int_equal(b.len, 96);
  vbx_proto_buf_fini(&b);

  vbx_proto_buf_init_growable(&b, 0);
  assert_int_equal(vbx_proto_encode_frame(&b, VBX_PROTO_T_OK, 1, big, VBX_PROTO_MAX_PAYLOAD + 1),
                   VBX_PROTO_E_TOOBIG);
  assert_int_equal(vbx_proto_encode_frame(&b, VBX_PROTO_T_OK, 1, big, VBX_PROTO_MAX_PAYLOAD), 0);
  assert_int_equal(b.len, 16 + VBX_PROTO_MAX_PAYLOAD);
  assert_int_equal(vbx_proto_encode_frame(&b, 0x55, 1, big, 1), VBX_PROTO_E_INVAL);
  vbx_proto_buf_fini(&b);
  free(big);
}

/* Build a stream of several frames of different sizes. */
static void build_stream(struct vbx_proto_buf *b) {
  static const uint8_t bytes[300] = {1, 2, 3};
  struct vbx_proto_data d = {0, bytes, sizeof(bytes)};
  struct vbx_proto_error e = {-3, {"bad", 3}};

  assert_int_equal(vbx_proto_encode_ping(b, VBX_PROTO_T_PING, 0, 42), 0);
  assert_int_equal(vbx_proto_encode_data(b, VBX_PROTO_T_STDOUT_DATA, 7, &d), 0);
  assert_int_equal(vbx_proto_encode_empty(b, VBX_PROTO_T_STDIN_CLOSE, 7), 0);
  assert_int_equal(vbx_proto_encode_error(b, 7, &e), 0);
  assert_int_equal(vbx_proto_encode_window_update(b, 7, 4096), 0);
}

static const uint8_t expect_types[5] = {VBX_PROTO_T_PING, VBX_PROTO_T_STDOUT_DATA,
                                        VBX_PROTO_T_STDIN_CLOSE, VBX_PROTO_T_ERROR,
                                        VBX_PROTO_T_WINDOW_UPDATE};

static void run_decoder(void *storage, size_t cap, size_t step) {
  struct vbx_proto_buf b;
  struct vbx_proto_decoder d;
  struct vbx_proto_frame f;
  struct vbx_proto_msg m;
  size_t off = 0, used, n;
  int got = 0, rc;

  vbx_proto_buf_init_growable(&b, 0);
  build_stream(&b);
  vbx_proto_decoder_init(&d, 0, storage, cap);
  while (off < b.len) {
    n = b.len - off < step ? b.len - off : step;
    for (;;) {
      rc = vbx_proto_decoder_feed(&d, b.data + off, n, &used, &f);
      off += used;
      n -= used;
      if (rc == VBX_PROTO_E_AGAIN) break;
      assert_int_equal(rc, 0);
      assert_true(got < 5);
      assert_int_equal(f.hdr.type, expect_types[got]);
      assert_int_equal(vbx_proto_decode_msg(&f, &m), 0);
      if (got == 1) {
        assert_int_equal(m.u.data.len, 300);
        assert_int_equal(m.u.data.data[2], 3);
      }
      got++;
      if (n == 0) break;
    }
  }
  assert_int_equal(got, 5);
  assert_int_equal(vbx_proto_decoder_pending(&d), 0);
  vbx_proto_decoder_fini(&d);
  vbx_proto_buf_fini(&b);
}

static void test_decoder_byte_by_byte(void **state) {
  (void)state;
  run_decoder(NULL, 0, 1);
}

static void test_decoder_various_chunks(void **state) {
  static uint8_t storage[4096];
  size_t steps[] = {2, 3, 7, 15, 16, 17, 23, 64, 100000};
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
    run_decoder(NULL, 0, steps[i]);
    run_decoder(storage, sizeof(storage), steps[i]);
  }
}

static void test_decoder_zero_copy(void **state) {
  struct vbx_proto_buf b;
  struct vbx_proto_decoder d;
  struct vbx_proto_frame f;
  size_t used;

  (void)state;
  vbx_proto_buf_init_growable(&b, 0);
  build_stream(&b);
  vbx_proto_decoder_init(&d, 0, NULL, 0);
  assert_int_equal(vbx_proto_decoder_feed(&d, b.data, b.len, &used, &f), 0);
  assert_int_equal(used, 24);
  assert_ptr_equal(f.payload, b.data + 16);
  assert_null(d.store); /* nothing was buffered, nothing allocated */
  vbx_proto_decoder_fini(&d);
  vbx_proto_buf_fini(&b);
}

static void test_decoder_oversized_before_alloc(void **state) {
  struct vbx_proto_header h = {0, VBX_PROTO_T_STDOUT_DATA, 0, 1, 0xffffffffu};
  struct vbx_proto_decoder d;
  struct vbx_proto_frame f;
  uint8_t raw[16];
  size_t used, i;

  (void)state;
  vbx_proto_header_pack(&h, raw);
  vbx_proto_decoder_init(&d, 0, NULL, 0);
  for (i = 0; i < 15; i++)
    assert_int_equal(vbx_proto_decoder_feed(&d, raw + i, 1, &used, &f), VBX_PROTO_E_AGAIN);
  assert_int_equal(vbx_proto_decoder_feed(&d, raw + 15, 1, &used, &f), VBX_PROTO_E_TOOBIG);
  assert_null(d.store);
  assert_int_equal(d.store_cap, 0);
  /* sticky: the connection is dead */
  assert_int_equal(vbx_proto_decoder_feed(&d, raw, 16, &used, &f), VBX_PROTO_E_TOOBIG);
  assert_int_equal(used, 0);
  vbx_proto_decoder_fini(&d);

  /* a configured lower limit: 64 KiB + 1 refused, no allocation */
  h.length = 65537;
  vbx_proto_header_pack(&h, raw);
  vbx_proto_decoder_init(&d, 65536, NULL, 0);
  assert_int_equal(vbx_proto_decoder_feed(&d, raw, 16, &used, &f), VBX_PROTO_E_TOOBIG);
  assert_null(d.store);
  vbx_proto_decoder_fini(&d);

  /* caller storage lowers the limit to its size */
  {
    uint8_t st[100];
    h.length = 101;
    vbx_proto_header_pack(&h, raw);
    vbx_proto_decoder_init(&d, 0, st, sizeof(st));
    assert_int_equal(d.max_payload, 100);
    assert_int_equal(vbx_proto_decoder_feed(&d, raw, 16, &used, &f), VBX_PROTO_E_TOOBIG);
    vbx_proto_decoder_fini(&d);
  }
}

static void test_decoder_bad_magic_and_version(void **state) {
  struct vbx_proto_header h = {0, VBX_PROTO_T_OK, 0, 1, 0};
  struct vbx_proto_decoder d;
  struct vbx_proto_frame f;
  uint8_t raw[16];
  size_t used;

  (void)state;
  vbx_proto_header_pack(&h, raw);
  raw[0] = 'G';
  vbx_proto_decoder_init(&d, 0, NULL, 0);
  assert_int_equal(vbx_proto_decoder_feed(&d, raw, 16, &used, &f), VBX_PROTO_E_PROTOCOL);
  vbx_proto_decoder_fini(&d);
  raw[0] = 'V';
  raw[2] = 9;
  vbx_proto_decoder_init(&d, 0, NULL, 0);
  assert_int_equal(vbx_proto_decoder_feed(&d, raw, 8, &used, &f), VBX_PROTO_E_AGAIN);
  assert_int_equal(vbx_proto_decoder_pending(&d), 8);
  assert_int_equal(vbx_proto_decoder_feed(&d, raw + 8, 8, &used, &f), VBX_PROTO_E_VERSION);
  vbx_proto_decoder_fini(&d);
}

static void test_decoder_truncated_at_eof(void **state) {
  struct vbx_proto_buf b;
  struct vbx_proto_decoder d;
  struct vbx_proto_frame f;
  size_t used;

  (void)state;
  vbx_proto_buf_init_growable(&b, 0);
  build_stream(&b);
  vbx_proto_decoder_init(&d, 0, NULL, 0);
  assert_int_equal(vbx_proto_decoder_feed(&d, b.data, 24 + 20, &used, &f), 0);
  assert_int_equal(vbx_proto_decoder_feed(&d, b.data + 24, 20, &used, &f), VBX_PROTO_E_AGAIN);
  assert_int_equal(vbx_proto_decoder_pending(&d), 20); /* EOF now = truncated frame */
  vbx_proto_decoder_fini(&d);
  vbx_proto_buf_fini(&b);
}

static void test_data_header_for_writev(void **state) {
  static const uint8_t bytes[10] = "0123456789";
  struct vbx_proto_data dd = {77, bytes, 10};
  struct vbx_proto_buf b;
  uint8_t hdr[VBX_PROTO_DATA_HEADER_SIZE];

  (void)state;
  vbx_proto_buf_init_growable(&b, 0);
  assert_int_equal(vbx_proto_encode_data(&b, VBX_PROTO_T_STDERR_DATA, 3, &dd), 0);
  assert_int_equal(vbx_proto_data_header(hdr, VBX_PROTO_T_STDERR_DATA, 3, 77, 10), 0);
  assert_memory_equal(hdr, b.data, sizeof(hdr));
  assert_memory_equal(b.data + sizeof(hdr), bytes, 10);
  assert_int_equal(vbx_proto_data_header(hdr, VBX_PROTO_T_EXIT, 3, 0, 10), VBX_PROTO_E_INVAL);
  assert_int_equal(vbx_proto_data_header(hdr, VBX_PROTO_T_STDOUT_DATA, 3, 0, 0), VBX_PROTO_E_INVAL);
  assert_int_equal(vbx_proto_data_header(hdr, VBX_PROTO_T_STDOUT_DATA, 0, 0, 5), VBX_PROTO_E_INVAL);
  assert_int_equal(
      vbx_proto_data_header(hdr, VBX_PROTO_T_STDOUT_DATA, 3, 0, VBX_PROTO_MAX_DATA + 1),
      VBX_PROTO_E_TOOBIG);
  vbx_proto_buf_fini(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_header_layout),
      cmocka_unit_test(test_header_rejects),
      cmocka_unit_test(test_frame_parse_partial),
      cmocka_unit_test(test_buf_fixed_rollback),
      cmocka_unit_test(test_buf_growable_limit),
      cmocka_unit_test(test_decoder_byte_by_byte),
      cmocka_unit_test(test_decoder_various_chunks),
      cmocka_unit_test(test_decoder_zero_copy),
      cmocka_unit_test(test_decoder_oversized_before_alloc),
      cmocka_unit_test(test_decoder_bad_magic_and_version),
      cmocka_unit_test(test_decoder_truncated_at_eof),
      cmocka_unit_test(test_data_header_for_writev),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
