/*
 * tests/integration/local/lt.c - see lt.h.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lt.h"

void lt_require(void) {
  if (geteuid() != 0) {
    printf("SKIP: sandbox-local needs root (namespaces, pivot_root); uid %u\n", geteuid());
    exit(77);
  }
  pid_t p = fork();
  if (p == 0)
    _exit(unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) == 0
              ? 0
              : 1);
  int st = 0;
  waitpid(p, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    printf("SKIP: cannot create mount/pid/net/ipc/uts namespaces here\n");
    exit(77);
  }
  if (access(VBX_TEST_AGENT, X_OK) != 0) {
    printf("SKIP: guest agent %s not built\n", VBX_TEST_AGENT);
    exit(77);
  }
}

void lt_load(void) {
  th_load("sandbox-local.so", "local", "\"agent_path\":\"" VBX_TEST_AGENT "\"");
}
