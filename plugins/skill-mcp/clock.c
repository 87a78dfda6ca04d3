/*
 * skill-mcp/clock.c - the monotonic clock and the deadline arithmetic every
 * wait of the MCP client uses (mcp_transport.h).
 */
#include <time.h>

#include "mcp_transport.h"

uint64_t vbx_mcp_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t vbx_mcp_deadline_ms(uint32_t ms) { return vbx_mcp_now_ns() + (uint64_t)ms * 1000000ull; }

uint32_t vbx_mcp_left_ms(uint64_t deadline_ns, uint32_t cap) {
  if (deadline_ns == 0) return cap;
  uint64_t now = vbx_mcp_now_ns();
  if (now >= deadline_ns) return 0;
  uint64_t ms = (deadline_ns - now + 999999ull) / 1000000ull;
  return ms < cap ? (uint32_t)ms : cap;
}
