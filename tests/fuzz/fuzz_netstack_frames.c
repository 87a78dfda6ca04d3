/*
 * fuzz_netstack_frames - the frames a guest can send into voidbox-netstack:
 * the input is a sequence of frames (2-byte big-endian length, then the
 * bytes) fed to a fresh stack (the policy layer and a real libslirp) as if
 * from the guest, with one poll round after each. The policy allows only
 * the host's 127.0.0.1:1 (nothing listens there) and maps the gateway to
 * 127.0.0.1:2, so whatever the input, traffic stays on loopback. Nothing
 * may crash, leak or read out of bounds; frames netstack sends back must
 * be well formed (length bounded).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stack.h"

static size_t g_out;

static void to_guest(void *user, const uint8_t *frame, size_t len) {
  (void)user, (void)frame;
  if (len < 14 || len > 65550) abort(); /* never a runt or an oversized frame */
  g_out += len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static vbx_netpolicy pol;
  static int ready;
  char err[200];
  if (!ready) {
    if (vbx_netpolicy_from_json("{\"allow\":[\"127.0.0.1:1\"],\"max_connections\":4,"
                                "\"rate_limit_kbps\":8000}",
                                &pol, err, sizeof err) != 0)
      abort();
    ready = 1;
  }
  ns_config cfg = {.policy = &pol, .gateway_port = 2, .log_fd = -1, .n_dns = 0};
  ns_stack *s = ns_stack_new(&cfg, to_guest, NULL, err, sizeof err);
  if (s == NULL) abort();
  static uint8_t frame[65536];
  size_t off = 0;
  for (int n = 0; n < 64 && off + 2 <= size; n++) {
    size_t len = (size_t)data[off] << 8 | data[off + 1];
    off += 2;
    if (len > size - off) len = size - off;
    memcpy(frame, data + off, len); /* netstack may rewrite in place */
    off += len;
    ns_stack_input(s, frame, len);
    ns_stack_poll(s, NULL, 0, 0);
  }
  ns_stack_free(s);
  return 0;
}
