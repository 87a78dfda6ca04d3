/*
 * tests/fuzz/fuzz_qemu_console.c - libFuzzer target for the VM backends'
 * reading of the guest serial console (plugins/guest-session/gs_console.c,
 * shared by qemu and kvm): the console is written by the guest, so its
 * bytes are untrusted. Each
 * input is written to a temporary file, then its tail (several line counts
 * and buffer sizes), its "Kernel panic" line and the guest agent's last
 * line before it (several buffer sizes) are extracted; the outputs
 * must be NUL-terminated within their buffers and printable.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gs_vm.h"

static char path[64];

static void check_printable(const char *s, size_t cap) {
  size_t n = strnlen(s, cap);
  if (n == cap) abort(); /* not terminated inside the buffer */
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] < 0x20 && s[i] != '\n' && s[i] != '\t') abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (path[0] == '\0') snprintf(path, sizeof path, "/tmp/vbx-fuzz-console-%d", (int)getpid());
  FILE *f = fopen(path, "we");
  if (f == NULL) return 0;
  fwrite(data, 1, size, f);
  fclose(f);
  static const size_t caps[] = {1, 2, 17, 200, 4096, 5000};
  static const unsigned lines[] = {0, 1, 3, 12};
  for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++)
    for (size_t l = 0; l < sizeof lines / sizeof lines[0]; l++) {
      char *out = malloc(caps[c]);
      size_t n = gs_file_tail(path, lines[l], out, caps[c]);
      if (n >= caps[c] || strlen(out) != n) abort();
      check_printable(out, caps[c]);
      free(out);
    }
  char panic[200];
  gs_console_panic(path, panic, sizeof panic);
  check_printable(panic, sizeof panic);
  if (panic[0] && strncmp(panic, "Kernel panic - not syncing:", 27) != 0) abort();
  static const size_t last_caps[] = {1, 16, 220};
  for (size_t c = 0; c < sizeof last_caps / sizeof last_caps[0]; c++) {
    char *last = malloc(last_caps[c]);
    gs_console_agent_last(path, last, last_caps[c]);
    check_printable(last, last_caps[c]);
    if (last[0] && strncmp(last, "voidbox-agent: ", strnlen(last, 15)) != 0) abort();
    free(last);
  }
  unlink(path);
  return 0;
}
