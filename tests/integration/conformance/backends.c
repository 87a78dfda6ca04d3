/*
 * tests/integration/conformance/backends.c - the backends the conformance
 * suite runs against and, for each, the cases it cannot do by design.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "conformance.h"
#include "kt.h"
#include "lt.h"
#include "qt.h"

const cf_backend *CF;

static void mock_require(void) {}
static void mock_load(void) {
  /* "exit 42" is scripted: mock simulates commands (docs/mock.md) */
  th_load("sandbox-mock.so", "mock",
          "\"commands\":[{\"match\":\"exit 42\",\"exit_code\":42},"
          "{\"match\":\"sleep 30\",\"delay_ms\":30000}]");
}

static const char *const mock_na[] = {
    "signals",
    "simulated commands are never killed by a signal",
    "env",
    "simulated commands have no process environment",
    "streaming_order",
    "a simulated command has no timing between its two streams",
    "large_output",
    "simulated output is scripted text, not a producing process",
    "jail_escape",
    "the in-memory file system has no host paths and no writable policy",
    "box_timeout",
    "mock boxes have no lifetime (timeout_secs is recorded, not enforced)",
    "teardown",
    "no box directory and no process exist to be left over",
    "procs",
    "no streaming exec: simulated commands are scripted answers run to completion",
    NULL};

static const char *const none[] = {NULL};

static void qemu_unload(void) { qt_unload(); }

static const cf_backend backends[] = {
    {"mock", mock_require, mock_load, th_unload, 0, mock_na, NULL},
    {"local", lt_require, lt_load, th_unload, 1, none, NULL},
    {"qemu", qt_require, qt_load, qemu_unload, 1, none, NULL},
    {"kvm", kt_require, kt_load, kt_unload, 1, none, NULL},
};

const cf_backend *cf_backend_find(const char *name) {
  for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
    if (strcmp(backends[i].name, name) == 0) return &backends[i];
  return NULL;
}

const char *cf_not_applicable(const char *case_name) {
  for (const char *const *p = CF->not_applicable; p[0] != NULL; p += 2)
    if (strcmp(p[0], case_name) == 0) return p[1];
  return NULL;
}
