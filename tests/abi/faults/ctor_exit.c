/*
 * tests/abi/faults/ctor_exit.c - a plugin whose constructor ends the
 * process with _exit(0) while it is being loaded: the supervised run must
 * see it, name the file and refuse to pretend the run succeeded.
 */
#include <unistd.h>

#include "voidbox/plugin.h"

__attribute__((constructor)) static void quit_on_load(void) { _exit(0); }

static int never_init(const vbx_host_services *host, const vbx_registrar *reg, void **state) {
  (void)host, (void)reg, (void)state;
  return 0;
}

VBX_PLUGIN_DEFINE("ctor-exit", "1.0.0", "MIT", "exits from its constructor (tests)", never_init,
                  NULL)
