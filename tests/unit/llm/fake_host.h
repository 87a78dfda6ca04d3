/*
 * tests/unit/llm/fake_host.h - a minimal host-services table for unit tests
 * of llm-common: JSON through jansson, malloc allocator, an error slot that
 * records code/field/message, logs counted. Not the real host (integration
 * tests use the real loader).
 */
#ifndef VBX_TEST_FAKE_HOST_H
#define VBX_TEST_FAKE_HOST_H

#include "voidbox/plugin.h"

typedef struct fake_call {
  int code;
  char field[128];
  char message[1024];
  int cancelled;
} fake_call;

/* The table (static). fake_logs counts log calls since start. */
const vbx_host_services *fake_host(void);
extern int fake_logs;

#endif
