/*
 * tests/integration/local/lt.h - what the sandbox-local tests add to the
 * shared harness (tests/integration/harness/harness.h): the skip check for
 * root and namespaces, and loading sandbox-local.so with this build's guest
 * agent as the default `agent_path`.
 */
#ifndef VBX_TEST_LOCAL_LT_H
#define VBX_TEST_LOCAL_LT_H

#include "harness.h"

/* Skip (exit 77) with a reason unless root, namespaces and the built guest
 * agent are available. Main thread, before cmocka runs. */
void lt_require(void);
/* th_load of sandbox-local.so / "local" with agent_path set (asserts). */
void lt_load(void);

#endif
