/*
 * test_newc.c - the newc writer: parse back what it wrote with an
 * independent reader and check every header field, padding and order rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "image/newc.h"
#include "voidbox/errors.h"

typedef struct parsed {
  char name[256];
  uint32_t f
      [13]; /* ino mode uid gid nlink mtime filesize devmaj devmin rdevmaj rdevmin namesize check */
  const unsigned char *data;
  size_t hdr_off, data_off;
} parsed;

enum { INO, MODE, UID, GID, NLINK, MTIME, SIZE, DEVMAJ, DEVMIN, RMAJ, RMIN, NAMESIZE, CHECK };

static uint32_t hex8(const unsigned char *p) {
  char b[9];
  memcpy(b, p, 8);
  b[8] = '\0';
  for (int i = 0; i < 8; i++)
    assert_true(strchr("0123456789ABCDEF", b[i]) != NULL);
  return (uint32_t)strtoul(b, NULL, 16);
}

/* Parse all entries (up to max) of buf; returns count including trailer. */
static size_t parse(const unsigned char *buf, size_t len, parsed *out, size_t max) {
  size_t off = 0, n = 0;
  while (n < max) {
    assert_true(off % 4 == 0);
    assert_true(off + 110 <= len);
    assert_memory_equal(buf + off, "070701", 6);
    parsed *e = &out[n++];
    e->hdr_off = off;
    for (int i = 0; i < 13; i++)
      e->f[i] = hex8(buf + off + 6 + 8 * i);
    assert_true(e->f[NAMESIZE] >= 2 && e->f[NAMESIZE] < sizeof(e->name));
    memcpy(e->name, buf + off + 110, e->f[NAMESIZE]);
    assert_int_equal(e->name[e->f[NAMESIZE] - 1], '\0');
    size_t d = off + 110 + e->f[NAMESIZE];
    /* padding after the name is zeros up to a multiple of 4 */
    while (d % 4)
      assert_int_equal(buf[d++], 0);
    e->data_off = d;
    e->data = buf + d;
    size_t end = d + e->f[SIZE];
    assert_true(end <= len);
    while (end % 4)
      assert_int_equal(buf[end++], 0);
    off = end;
    if (!strcmp(e->name, "TRAILER!!!")) {
      /* the rest is zero padding to 512 */
      assert_int_equal(len % 512, 0);
      for (size_t i = off; i < len; i++)
        assert_int_equal(buf[i], 0);
      return n;
    }
  }
  fail_msg("no trailer within %zu entries", max);
  return 0;
}

/* Write entries to a temp file; return its bytes. */
static unsigned char *write_archive(const vbx__newc_entry *es, size_t n, size_t *len,
                                    char sha[VBX__SHA256_HEX], uint64_t *size) {
  FILE *f = tmpfile();
  assert_non_null(f);
  vbx__newc w;
  vbx__newc_init(&w, fileno(f), 0);
  for (size_t i = 0; i < n; i++)
    assert_int_equal(vbx__newc_add(&w, &es[i]), 0);
  assert_int_equal(vbx__newc_finish(&w, sha, size), 0);
  long l = ftell(f);
  (void)l;
  off_t end = lseek(fileno(f), 0, SEEK_END);
  unsigned char *buf = malloc((size_t)end);
  assert_int_equal(pread(fileno(f), buf, (size_t)end, 0), end);
  fclose(f);
  *len = (size_t)end;
  return buf;
}

static const vbx__newc_entry sample[] = {
    {"bin", S_IFDIR | 0755, 0, 0, 0, 0, NULL, 0},
    {"bin/sh", S_IFLNK | 0777, 0, 0, 0, 0, "busybox", 7},
    {"dev", S_IFDIR | 0755, 0, 0, 0, 0, NULL, 0},
    {"dev/console", S_IFCHR | 0600, 0, 0, 5, 1, NULL, 0},
    {"home/sandbox", S_IFDIR | 0755, 1000, 1000, 0, 0, NULL, 0},
    {"init", S_IFREG | 0755, 0, 0, 0, 0, "#!/bin/sh\necho hi\n", 18},
    {"x", S_IFREG | 0644, 0, 0, 0, 0, "abc", 3},
};

static void test_roundtrip_fields(void **state) {
  (void)state;
  size_t n = sizeof(sample) / sizeof(sample[0]), len;
  char sha[VBX__SHA256_HEX];
  uint64_t size;
  unsigned char *buf = write_archive(sample, n, &len, sha, &size);
  assert_int_equal(size, len);
  parsed p[16];
  assert_int_equal(parse(buf, len, p, 16), n + 1);
  for (size_t i = 0; i < n; i++) {
    assert_string_equal(p[i].name, sample[i].name);
    assert_int_equal(p[i].f[INO], i + 1);
    assert_int_equal(p[i].f[MODE], sample[i].mode);
    assert_int_equal(p[i].f[UID], sample[i].uid);
    assert_int_equal(p[i].f[GID], sample[i].gid);
    assert_int_equal(p[i].f[NLINK], S_ISDIR(sample[i].mode) ? 2 : 1);
    assert_int_equal(p[i].f[MTIME], 0);
    assert_int_equal(p[i].f[SIZE], sample[i].size);
    assert_int_equal(p[i].f[DEVMAJ], 0);
    assert_int_equal(p[i].f[DEVMIN], 0);
    assert_int_equal(p[i].f[RMAJ], sample[i].rdev_major);
    assert_int_equal(p[i].f[RMIN], sample[i].rdev_minor);
    assert_int_equal(p[i].f[NAMESIZE], strlen(sample[i].name) + 1);
    assert_int_equal(p[i].f[CHECK], 0);
    if (sample[i].size) assert_memory_equal(p[i].data, sample[i].data, sample[i].size);
  }
  assert_int_equal(p[n].f[NLINK], 1);
  assert_int_equal(p[n].f[SIZE], 0);
  free(buf);
}

static void test_header_is_byte_exact(void **state) {
  (void)state;
  vbx__newc_entry e = {"a", S_IFREG | 0644, 0, 0, 0, 0, "xy", 2};
  size_t len;
  char sha[VBX__SHA256_HEX];
  unsigned char *buf = write_archive(&e, 1, &len, sha, NULL);
  const char *want =
      "070701"
      "00000001"
      "000081A4"
      "00000000"
      "00000000"
      "00000001"
      "00000000"
      "00000002"
      "00000000"
      "00000000"
      "00000000"
      "00000000"
      "00000002"
      "00000000"
      "a\0"; /* 110 + 2 = 112: already aligned */
  assert_memory_equal(buf, want, 112);
  assert_memory_equal(buf + 112, "xy\0\0", 4); /* data padded to 4 */
  assert_memory_equal(buf + 116, "070701", 6); /* trailer next */
  assert_int_equal(len, 512);
  free(buf);
}

static void test_reproducible_digest(void **state) {
  (void)state;
  size_t n = sizeof(sample) / sizeof(sample[0]), l1, l2;
  char s1[VBX__SHA256_HEX], s2[VBX__SHA256_HEX], s3[VBX__SHA256_HEX];
  unsigned char *a = write_archive(sample, n, &l1, s1, NULL);
  unsigned char *b = write_archive(sample, n, &l2, s2, NULL);
  assert_int_equal(l1, l2);
  assert_memory_equal(a, b, l1);
  assert_string_equal(s1, s2);
  /* the digest is of the bytes written */
  vbx__sha256_buf_hex(a, l1, s3);
  assert_string_equal(s1, s3);
  /* and changes with the content */
  vbx__newc_entry changed[sizeof(sample) / sizeof(sample[0])];
  memcpy(changed, sample, sizeof(sample));
  changed[6].data = "abd";
  unsigned char *c = write_archive(changed, n, &l2, s2, NULL);
  assert_string_not_equal(s1, s2);
  free(a);
  free(b);
  free(c);
}

static void test_rejects(void **state) {
  (void)state;
  FILE *f = tmpfile();
  vbx__newc w;
  vbx__newc_init(&w, fileno(f), 0);
  vbx__newc_entry e = {"b", S_IFDIR | 0755, 0, 0, 0, 0, NULL, 0};
  assert_int_equal(vbx__newc_add(&w, &e), 0);
  e.name = "a"; /* out of order */
  assert_int_equal(vbx__newc_add(&w, &e), VBX_E_INVAL);
  e.name = "b"; /* duplicate */
  assert_int_equal(vbx__newc_add(&w, &e), VBX_E_INVAL);
  const char *bad[] = {"", "/abs", "c/../d", "c/./d", "c//d", "c/", "TRAILER!!!"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    e.name = bad[i];
    assert_int_equal(vbx__newc_add(&w, &e), VBX_E_INVAL);
  }
  vbx__newc_entry dir_with_data = {"c", S_IFDIR | 0755, 0, 0, 0, 0, "x", 1};
  assert_int_equal(vbx__newc_add(&w, &dir_with_data), VBX_E_INVAL);
  vbx__newc_entry fifo = {"c", S_IFIFO | 0644, 0, 0, 0, 0, NULL, 0};
  assert_int_equal(vbx__newc_add(&w, &fifo), VBX_E_INVAL);
  vbx__newc_entry empty_link = {"c", S_IFLNK | 0777, 0, 0, 0, 0, "", 0};
  assert_int_equal(vbx__newc_add(&w, &empty_link), VBX_E_INVAL);
  char *longname = malloc(VBX__NEWC_NAME_MAX + 2);
  memset(longname, 'z', VBX__NEWC_NAME_MAX + 1);
  longname[VBX__NEWC_NAME_MAX + 1] = '\0';
  vbx__newc_entry big = {longname, S_IFREG | 0644, 0, 0, 0, 0, NULL, 0};
  assert_int_equal(vbx__newc_add(&w, &big), VBX_E_TOOBIG);
  free(longname);
  /* nothing rejected was written: still one entry */
  assert_int_equal(w.entries, 1);
  assert_int_equal(w.offset, 112); /* 110 + "b\0" = 112, aligned; a dir has no data */
  fclose(f);
}

static void test_write_error(void **state) {
  (void)state;
  vbx__newc w;
  vbx__newc_init(&w, -1, 0);
  vbx__newc_entry e = {"a", S_IFDIR | 0755, 0, 0, 0, 0, NULL, 0};
  assert_int_equal(vbx__newc_add(&w, &e), VBX_E_IO);
}

static void test_sha256_vectors(void **state) {
  (void)state;
  char hex[VBX__SHA256_HEX];
  vbx__sha256_buf_hex("", 0, hex);
  assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  vbx__sha256_buf_hex("abc", 3, hex);
  assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  vbx__sha256_buf_hex(m, strlen(m), hex);
  assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_roundtrip_fields),    cmocka_unit_test(test_header_is_byte_exact),
      cmocka_unit_test(test_reproducible_digest), cmocka_unit_test(test_rejects),
      cmocka_unit_test(test_write_error),         cmocka_unit_test(test_sha256_vectors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
