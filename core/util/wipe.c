/*
 * util/wipe.c - erasing secrets (see wipe.h): volatile stores, one byte at
 * a time, which the optimiser must keep.
 */
#include "util/wipe.h"

#include <stdint.h>

void vbx__wipe(void *p, size_t n) {
  volatile uint8_t *v = p;
  while (n--)
    *v++ = 0;
}
