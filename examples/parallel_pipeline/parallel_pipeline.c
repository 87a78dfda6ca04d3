/*
 * examples/parallel_pipeline/parallel_pipeline.c - the diamond pipeline
 * data -> fan_out[sentiment, risk] -> strategy built with the embedding API
 * (voidbox.h), on the mock sandbox with the scripted mock LLM. The two
 * fan-out boxes meet at a mock-sandbox barrier, so their commands only
 * succeed when they really run at the same time. Output is streamed line by line
 * with a "[box]" prefix; fan-out boxes stream concurrently.
 *
 *   build/examples/parallel_pipeline/parallel_pipeline [PLUGIN_DIR]
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "voidbox/voidbox.h"

#ifndef VBX_EXAMPLES_DIR
#define VBX_EXAMPLES_DIR "."
#endif
#ifndef VBX_EXAMPLE_PLUGIN_DIR
#define VBX_EXAMPLE_PLUGIN_DIR NULL
#endif

static const char *COMMANDS =
    "[{\"match\": \"fetch_news *\", \"stdout\": \"2026-10-30 NVDA beats estimates, raises "
    "guidance\\n2026-10-30 AAPL services revenue at record high\\n2026-10-31 TSLA recalls 40k "
    "vehicles\\n\"},"
    " {\"match\": \"score_sentiment *\", \"stdout\": \"NVDA +0.82 | AAPL +0.55 | TSLA -0.61\\n\"},"
    " {\"match\": \"estimate_var *\", \"stdout\": \"NVDA var95=-3.9% | AAPL var95=-1.9% | TSLA "
    "var95=-5.4%\\n\", \"delay_ms\": 50}]";

static const char *BARRIER =
    "{\"name\": \"parallel_pipeline_c_fan_out\", \"parties\": 2, \"timeout_ms\": 10000}";

/* One line buffer per box, so concurrent boxes print whole lines. */
typedef struct line_buf {
  char box[64];
  char text[4096];
  size_t len;
} line_buf;

static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;
static line_buf lines[8];

static line_buf *line_for(const char *box) {
  for (size_t i = 0; i < 8; i++) {
    if (lines[i].box[0] == '\0') snprintf(lines[i].box, sizeof lines[i].box, "%s", box);
    if (strcmp(lines[i].box, box) == 0) return &lines[i];
  }
  return &lines[7];
}

static void flush_line(line_buf *l) {
  printf("[%s] %.*s\n", l->box, (int)l->len, l->text);
  l->len = 0;
}

static void on_stream(void *user, const char *box, vbx_output_kind kind, const char *data,
                      size_t len) {
  (void)user;
  (void)kind;
  pthread_mutex_lock(&print_lock);
  line_buf *l = line_for(box);
  for (size_t i = 0; i < len; i++) {
    if (data[i] == '\n' || l->len == sizeof l->text) flush_line(l);
    if (data[i] != '\n') l->text[l->len++] = data[i];
  }
  fflush(stdout);
  pthread_mutex_unlock(&print_lock);
}

static vbx_box *mock_box(const char *name, const char *prompt, const char *script) {
  char quoted[256];
  snprintf(quoted, sizeof quoted, "\"%s\"", script);
  vbx_box *b = vbx_box_new(name);
  vbx_box_prompt(b, prompt);
  vbx_box_base_dir(b, VBX_EXAMPLES_DIR);
  vbx_box_sandbox(b, "mock");
  vbx_box_sandbox_option(b, "commands", COMMANDS);
  vbx_box_llm(b, "mock", NULL);
  vbx_box_llm_option(b, "script", quoted);
  return b;
}

int main(int argc, char **argv) {
  vbx_error err = {0};
  vbx_runtime *rt = NULL;
  vbx_pipeline *p = NULL;
  vbx_result *res = NULL;
  int status = 1;
  vbx_runtime_options ro = {.struct_size = sizeof ro};
  ro.plugin_dir = argc > 1 ? argv[1] : VBX_EXAMPLE_PLUGIN_DIR;
  if (vbx_runtime_new(&ro, &rt, &err) != 0) {
    fprintf(stderr, "parallel_pipeline: %s\n", err.message);
    goto out;
  }
  vbx_box *fan[2] = {
      vbx_box_sandbox_option(
          mock_box("sentiment", "Score the sentiment of these headlines per symbol.",
                   "parallel_pipeline/sentiment.yaml"),
          "barrier", BARRIER),
      vbx_box_sandbox_option(mock_box("risk", "Estimate one-day value at risk per symbol.",
                                      "parallel_pipeline/risk.yaml"),
                             "barrier", BARRIER),
  };
  p = vbx_pipeline_named("parallel_pipeline");
  vbx_pipeline_pipe(p, mock_box("data", "Gather the latest headlines for NVDA, AAPL and TSLA.",
                                "parallel_pipeline/data.yaml"));
  vbx_pipeline_fan_out(p, fan, 2);
  vbx_pipeline_pipe(p, mock_box("strategy", "Combine sentiment and risk into positions.",
                                "parallel_pipeline/strategy.yaml"));
  vbx_run_options opts = {.struct_size = sizeof opts};
  opts.on_stream = on_stream;
  if (vbx_pipeline_run(rt, p, &opts, &res, &err) != 0) {
    fprintf(stderr, "parallel_pipeline: %s\n", err.message);
    goto out;
  }
  for (size_t i = 0; i < 8; i++)
    if (lines[i].len > 0) flush_line(&lines[i]);
  for (size_t s = 0; s < vbx_result_stage_count(res); s++)
    for (size_t b = 0; b < vbx_result_box_count(res, s); b++) {
      const vbx_box_result *br = vbx_result_box(res, s, b);
      printf("  stage %zu %-10s %-9s turns=%u tokens=%llu/%llu\n", s, vbx_box_result_name(br),
             vbx_status_name(vbx_box_result_status(br)), vbx_box_result_turns(br),
             (unsigned long long)vbx_box_result_input_tokens(br),
             (unsigned long long)vbx_box_result_output_tokens(br));
    }
  printf("== parallel_pipeline: %s, $%.6f\n", vbx_status_name(vbx_result_status(res)),
         vbx_result_cost_usd(res));
  if (vbx_result_error(res) != NULL)
    fprintf(stderr, "parallel_pipeline: %s\n", vbx_result_error(res));
  status = vbx_result_status(res) == VBX_STATUS_OK ? 0 : 1;
out:
  if (res != NULL) vbx_result_free(res);
  if (p != NULL) vbx_pipeline_free(p);
  if (rt != NULL) vbx_runtime_free(rt);
  return status;
}
