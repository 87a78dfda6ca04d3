/*
 * tests/unit/mcp/fake_proc.h - a vbx_sandbox_ref whose streaming exec
 * (proc_open .. proc_close) runs the command on the host with pipes, for
 * testing the skill type "mcp" without a real sandbox backend. It records
 * what it was asked (argv[0], env, cwd, signals, closes).
 */
#ifndef VBX_TEST_FAKE_PROC_H
#define VBX_TEST_FAKE_PROC_H

#include "voidbox/plugin.h"

typedef struct fake_sb {
  const vbx_host_services *h;
  int opened, closed;
  int signals[16]; /* proc_kill's signals, in order */
  int n_signals;
  char argv0[512], arg1[128], env0[256], cwd[256];
  int refuse;   /* proc_open fails as a backend without streaming exec does */
  int no_start; /* the first proc_write fails as the guest's "not found" does */
} fake_sb;

/* Fill ref for sb; with_proc 0 gives a 1.2-sized ref (no streaming exec). */
void fake_sb_ref(fake_sb *sb, vbx_sandbox_ref *ref, int with_proc);

#endif
