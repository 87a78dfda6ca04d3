/*
 * fuzz_run_channel.c - libFuzzer target for the supervising parent of
 * `voidbox run`: bytes written by the worker (a process running plugin
 * code) go through the frame decoder and are applied to the printer and
 * the partial result (stream chunks, events, box reports, the final report
 * read back with vbx_result_from_json); then the partial result is settled
 * as after a crash. Input byte 0 chooses whether the worker had loaded,
 * byte 1 how the input is split into reads.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run/result.h"
#include "sup_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static vbx_pipeline *shape(void) {
  vbx_pipeline *p = vbx_pipeline_named("fz");
  vbx_pipeline_pipe(p, vbx_box_prompt(vbx_box_new("first"), "x"));
  vbx_box *fan[2] = {vbx_box_prompt(vbx_box_new("a"), "x"), vbx_box_prompt(vbx_box_new("b"), "x")};
  vbx_pipeline_fan_out(p, fan, 2);
  return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static vbx_pipeline *p;
  static int devnull = -1;
  if (p == NULL) p = shape();
  if (devnull < 0) devnull = open("/dev/null", O_WRONLY);
  if (size < 2) return 0;
  vbx__cli_common common;
  memset(&common, 0, sizeof(common));
  vbx__sup_options o = {.common = &common, .p = p, .json = data[0] & 2, .load_timeout_s = 5};
  vbx__sup s;
  memset(&s, 0, sizeof(s));
  s.o = &o;
  s.loaded = data[0] & 1;
  vbx__outq_init(&s.out, devnull);
  vbx__outq_init(&s.err, devnull);
  s.stream_q = &s.out;
  s.printer = vbx__printer_new(s.stream_q);
  s.partial = vbx__result_new(p);
  vbx__ch_decoder_init(&s.dec);
  size_t step = (size_t)data[1] + 1;
  data += 2, size -= 2;
  for (size_t off = 0; off < size; off += step) {
    size_t n = size - off < step ? size - off : step;
    if (vbx__ch_feed(&s.dec, data + off, n, vbx__sup_frame, &s) != 0) break;
    /* Keep memory bounded like the parent does (it drains to stdout). */
    s.out.off = s.out.len = 0;
  }
  vbx__printer_flush(s.printer);
  if (s.final == NULL && s.partial != NULL) vbx__sup_settle(&s);
  vbx__printer_free(s.printer);
  vbx__ch_decoder_free(&s.dec);
  vbx__outq_free(&s.out);
  vbx__outq_free(&s.err);
  vbx_result_free(s.partial);
  vbx_result_free(s.final);
  free(s.load_error);
  free(s.run_error);
  return 0;
}
