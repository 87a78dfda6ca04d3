/*
 * gen_channel_corpus.c - seeds for fuzz_run_channel: frame sequences a
 * worker really sends (events, stream chunks, box entries, a report, load
 * and run errors), each file prefixed with the target's two control bytes.
 *   gen_channel_corpus DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "run/result.h"

static FILE *out;

static void frame(unsigned type, unsigned a, unsigned b, const void *p, size_t n) {
  vbx__ch_header h = {(uint8_t)type, (uint8_t)a, (uint16_t)b, (uint32_t)n};
  fwrite(&h, sizeof(h), 1, out);
  if (n) fwrite(p, 1, n, out);
}

static void event(int type, int stage, const char *box, const char *tool, const char *text) {
  char buf[512];
  snprintf(buf, sizeof(buf),
           "{\"type\":%d,\"status\":1,\"stage_index\":%d,\"stage\":\"s\",\"box\":\"%s\","
           "\"tool\":%s%s%s,\"text\":\"%s\",\"in\":5,\"out\":2,\"cost\":0.5,\"dur\":1000}",
           type, stage, box, tool ? "\"" : "", tool ? tool : "null", tool ? "\"" : "", text);
  frame(VBX_CH_EVENT, 0, 0, buf, strlen(buf));
}

static void stream(const char *box, int kind, const char *text) {
  size_t bl = strlen(box), tl = strlen(text);
  char buf[512];
  memcpy(buf, box, bl);
  memcpy(buf + bl, text, tl);
  frame(VBX_CH_STREAM, (unsigned)kind, (unsigned)bl, buf, bl + tl);
}

static FILE *open_seed(const char *dir, const char *name, unsigned char flags) {
  char path[1024];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (f == NULL) {
    perror(path);
    exit(1);
  }
  unsigned char ctl[2] = {flags, 63};
  fwrite(ctl, 1, 2, f);
  return f;
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  /* a box entry and a report, from the real writers */
  vbx_box_result br;
  vbx__box_result_init(&br, "first");
  br.status = VBX_STATUS_OK;
  vbx__box_result_set_output(&br, "first done\n\x1b[2J");
  vbx__box_result_add_call(&br, "bash", "{\"command\":\"ls\"}", "a\\0b", 1, 12345);
  br.turns = 2;
  char *box_json = vbx_box_result_to_json(&br);
  vbx_pipeline *p = vbx_pipeline_named("fz");
  vbx_pipeline_pipe(p, vbx_box_prompt(vbx_box_new("first"), "x"));
  vbx_result *r = vbx__result_new(p);
  r->status = VBX_STATUS_OK;
  vbx__box_result_clear(&r->stages[0].boxes[0]);
  r->stages[0].boxes[0] = br;
  char *report = vbx_result_to_json(r);
  if (box_json == NULL || report == NULL) return 1;

  out = open_seed(argv[1], "run", 1);
  frame(VBX_CH_LOADED, 0, 0, NULL, 0);
  event(VBX_EV_BOX_STARTED, 0, "first", NULL, "");
  stream("first", VBX_OUT_TEXT, "hello\nwor");
  event(VBX_EV_LLM_TURN, 0, "first", NULL, "tool_use");
  event(VBX_EV_TOOL_CALL, 0, "first", "bash", "{\\\"command\\\":\\\"ls\\\"}");
  stream("first", VBX_OUT_TOOL_STDOUT, "line\n\x1b]0;t\x07");
  size_t bl = strlen(box_json);
  char *done = malloc(8 + bl);
  uint32_t where[2] = {0, 0};
  memcpy(done, where, 8);
  memcpy(done + 8, box_json, bl);
  frame(VBX_CH_BOX_DONE, 0, 0, done, 8 + bl);
  event(VBX_EV_BOX_STARTED, 1, "a", NULL, "");
  event(VBX_EV_BOX_STARTED, 1, "b", NULL, "");
  stream("b", VBX_OUT_TOOL_STDERR, "partial");
  fclose(out);

  out = open_seed(argv[1], "report", 1);
  frame(VBX_CH_LOADED, 0, 0, NULL, 0);
  frame(VBX_CH_REPORT, 0, 0, report, strlen(report));
  fclose(out);

  out = open_seed(argv[1], "load_error", 0);
  frame(VBX_CH_LOAD_ERROR, 2, 0, "x.so: bad magic", 15);
  fclose(out);

  out = open_seed(argv[1], "run_error", 1);
  frame(VBX_CH_LOADED, 0, 0, NULL, 0);
  frame(VBX_CH_RUN_ERROR, 1, 0, "could not start", 15);
  fclose(out);

  free(done);
  free(box_json);
  free(report);
  vbx_result_free(r);
  vbx_pipeline_free(p);
  return 0;
}
