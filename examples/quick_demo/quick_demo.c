/*
 * examples/quick_demo/quick_demo.c - the quick_demo pipeline built with the
 * embedding API (voidbox.h) instead of a spec file: analyst -> strategist
 * on the mock sandbox with the scripted mock LLM, output streamed as it is
 * produced, then a one-line summary.
 *
 *   build/examples/quick_demo/quick_demo [PLUGIN_DIR]
 *
 * PLUGIN_DIR defaults to the build tree's plugin directory.
 */
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
    "[{\"match\": \"python3 fetch_prices.py*\","
    "  \"stdout\": \"symbol,close,change_30d\\nAAPL,187.20,+4.1%\\nMSFT,411.80,+2.7%\\n"
    "NVDA,880.10,+11.3%\\n\"},"
    " {\"match\": \"python3 backtest.py*\","
    "  \"stdout\": \"strategy=momentum sharpe=1.42 max_drawdown=-8.5% cagr=17.9%\\n\"}]";

/* Print each box's stream with a "[box] " prefix at every line start
 * ("[box] | " for tool stdout, "[box] ! " for tool stderr). Sequential
 * stages call it from one thread at a time. */
static void on_stream(void *user, const char *box, vbx_output_kind kind, const char *data,
                      size_t len) {
  static char last_box[64];
  static vbx_output_kind last_kind;
  static int at_line_start = 1;
  (void)user;
  if (strncmp(last_box, box, sizeof last_box - 1) != 0 || kind != last_kind) {
    if (!at_line_start) fputc('\n', stdout);
    snprintf(last_box, sizeof last_box, "%s", box);
    last_kind = kind;
    at_line_start = 1;
  }
  for (size_t i = 0; i < len; i++) {
    if (at_line_start)
      printf("[%s]%s", box,
             kind == VBX_OUT_TEXT          ? " "
             : kind == VBX_OUT_TOOL_STDOUT ? " | "
                                           : " ! ");
    fputc(data[i], stdout);
    at_line_start = data[i] == '\n';
  }
  fflush(stdout);
}

static vbx_box *mock_box(const char *name, const char *prompt, const char *script) {
  char quoted[256];
  snprintf(quoted, sizeof quoted, "\"%s\"", script);
  vbx_box *b = vbx_box_new(name);
  vbx_box_prompt(b, prompt);
  vbx_box_base_dir(b, VBX_EXAMPLES_DIR);
  vbx_box_sandbox(b, "mock");
  vbx_box_sandbox_option(b, "commands", COMMANDS);
  vbx_box_memory_mb(b, 256);
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
    fprintf(stderr, "quick_demo: %s\n", err.message);
    goto out;
  }
  p = vbx_pipeline_named("quick_demo");
  vbx_pipeline_pipe(p, mock_box("analyst",
                                "You are a market analyst. Fetch 30-day prices for AAPL, MSFT "
                                "and NVDA and summarise the trend.",
                                "quick_demo/analyst.yaml"));
  vbx_pipeline_pipe(p, mock_box("strategist",
                                "You are a portfolio strategist. Turn the analyst's findings "
                                "into a strategy and backtest it.",
                                "quick_demo/strategist.yaml"));
  vbx_run_options opts = {.struct_size = sizeof opts};
  opts.on_stream = on_stream;
  if (vbx_pipeline_run(rt, p, &opts, &res, &err) != 0) {
    fprintf(stderr, "quick_demo: %s\n", err.message);
    goto out;
  }
  printf("\n== %s: %s, %llu input + %llu output tokens, $%.6f\n", "quick_demo",
         vbx_status_name(vbx_result_status(res)), (unsigned long long)vbx_result_input_tokens(res),
         (unsigned long long)vbx_result_output_tokens(res), vbx_result_cost_usd(res));
  if (vbx_result_error(res) != NULL) fprintf(stderr, "quick_demo: %s\n", vbx_result_error(res));
  status = vbx_result_status(res) == VBX_STATUS_OK ? 0 : 1;
out:
  if (res != NULL) vbx_result_free(res);
  if (p != NULL) vbx_pipeline_free(p);
  if (rt != NULL) vbx_runtime_free(rt);
  return status;
}
