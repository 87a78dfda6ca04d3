/*
 * fuzz_spec_load.c - libFuzzer target for the spec loader: arbitrary bytes
 * as YAML and as JSON through vbx__spec_load_buffer. Any input must give
 * either a pipeline or a positioned VBX_E_SPEC error, never a crash, a
 * leak or an unbounded allocation.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spec/spec.h"
#include "voidbox/voidbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  for (int is_json = 0; is_json <= 1; is_json++) {
    vbx_pipeline *p = NULL;
    vbx_error err;
    memset(&err, 0, sizeof(err));
    int rc = vbx__spec_load_buffer((const char *)data, size, "fuzz.spec", is_json, &p, &err);
    if (rc == 0) {
      if (p == NULL) abort(); /* success must give a pipeline */
      vbx_pipeline_free(p);
    } else {
      if (p != NULL) abort();              /* failure must not hand one out */
      if (err.message[0] == '\0') abort(); /* and must say why */
    }
  }
  return 0;
}
