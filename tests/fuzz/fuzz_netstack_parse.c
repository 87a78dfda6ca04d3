/*
 * fuzz_netstack_parse - what netstack parses from outside the guest's
 * frames: an upstream resolver's DNS answer (ns_dns_scan_answer, which also
 * rewrites loopback answers in place), a guest's DNS query, and the policy
 * text (an entry, a DNS server, the JSON document) with a decision on an
 * address taken from the input. The first byte picks the parser.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns_msg.h"
#include "netstack/policy.h"

static void on_addr(void *user, const uint8_t addr[16]) {
  size_t *n = user;
  *n += addr[15] != 0xff; /* reads all 16 bytes */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  uint8_t which = data[0];
  data++, size--;
  char err[300];
  if (which % 4 == 0) {
    uint8_t msg[NS_DNS_MAX];
    if (size > sizeof msg) return 0;
    memcpy(msg, data, size);
    size_t n = 0;
    uint16_t id = size >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0;
    ns_dns_scan_answer(msg, size, id, 0x0202000a, on_addr, &n);
  } else if (which % 4 == 1) {
    ns_dns_query q;
    if (ns_dns_parse_query(data, size, &q) == 0) {
      uint8_t out[NS_DNS_MAX];
      size_t len = ns_dns_answer_empty(data, &q, 3, out, sizeof out);
      if (len > sizeof out || (len != 0 && len != q.question_end)) abort();
    }
  } else {
    char *text = malloc(size + 1);
    if (text == NULL) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (which % 4 == 2) {
      vbx_np_entry e;
      vbx_np_dns d;
      vbx_np_list_entry_parse(text, which & 4, &e, err, sizeof err);
      vbx_np_dns_parse(text, &d, err, sizeof err);
    } else {
      vbx_netpolicy p;
      if (vbx_netpolicy_from_json(text, &p, err, sizeof err) == 0) {
        uint8_t a[16] = {0};
        memcpy(a, data, size < 16 ? size : 16);
        vbx_np_by_name by = {"a.example.com", which & 8};
        vbx_netpolicy_decide(&p, NULL, a, (uint16_t)size, &by);
        int deny;
        vbx_netpolicy_name(&p, "A.Example.COM.", &deny);
        vbx_netpolicy_free(&p);
      }
    }
    free(text);
  }
  return 0;
}
