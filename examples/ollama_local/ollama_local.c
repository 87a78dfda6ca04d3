/*
 * examples/ollama_local/ollama_local.c - one agent on a local Ollama model,
 * built with the embedding API (voidbox.h): the model's text is streamed as
 * it is generated, then turns, tokens and cost (always 0 for a local model)
 * are printed.
 *
 *   build/examples/ollama_local/ollama_local [MODEL] [PLUGIN_DIR]
 *
 * MODEL defaults to llama3.2; the Ollama server is $OLLAMA_HOST or
 * http://127.0.0.1:11434. Exits 2 with a hint when Ollama is not reachable.
 */
#include <stdio.h>
#include <string.h>

#include "voidbox/voidbox.h"

#ifndef VBX_EXAMPLE_PLUGIN_DIR
#define VBX_EXAMPLE_PLUGIN_DIR NULL
#endif

static void on_stream(void *user, const char *box, vbx_output_kind kind, const char *data,
                      size_t len) {
  (void)user;
  (void)box;
  FILE *f = kind == VBX_OUT_TEXT ? stdout : stderr;
  fwrite(data, 1, len, f);
  fflush(f);
}

int main(int argc, char **argv) {
  const char *model = argc > 1 ? argv[1] : "llama3.2";
  vbx_error err = {0};
  vbx_runtime *rt = NULL;
  vbx_pipeline *p = NULL;
  vbx_result *res = NULL;
  int status = 1;
  vbx_runtime_options ro = {.struct_size = sizeof ro};
  ro.plugin_dir = argc > 2 ? argv[2] : VBX_EXAMPLE_PLUGIN_DIR;
  if (vbx_runtime_new(&ro, &rt, &err) != 0) {
    fprintf(stderr, "ollama_local: %s\n", err.message);
    goto out;
  }
  vbx_box *b = vbx_box_new("ollama_local");
  vbx_box_prompt(b,
                 "Use the shell to count the files in /etc whose names end in \".conf\", "
                 "then answer with the number and two example names.");
  vbx_box_llm(b, "ollama", model);
  vbx_box_llm_option(b, "temperature", "0.2");
  vbx_box_llm_option(b, "num_ctx", "8192");
  vbx_box_llm_option(b, "idle_timeout_ms", "300000");
  vbx_box_sandbox(b, "local");
  vbx_box_network(b, 0);
  vbx_box_max_turns(b, 6);
  p = vbx_pipeline_named("ollama_local");
  vbx_pipeline_pipe(p, b);
  if (vbx_pipeline_check(rt, p, &err) != 0) {
    fprintf(stderr, "ollama_local: %s\n", err.message);
    goto out;
  }
  vbx_run_options run = {.struct_size = sizeof run};
  run.on_stream = on_stream;
  if (vbx_pipeline_run(rt, p, &run, &res, &err) != 0) {
    fprintf(stderr, "ollama_local: %s\n", err.message);
    goto out;
  }
  printf("\n--\nstatus %s, %llu input + %llu output tokens, cost $%.4f\n",
         vbx_status_name(vbx_result_status(res)), (unsigned long long)vbx_result_input_tokens(res),
         (unsigned long long)vbx_result_output_tokens(res), vbx_result_cost_usd(res));
  if (vbx_result_status(res) != VBX_STATUS_OK) {
    const char *e = vbx_result_error(res);
    fprintf(stderr, "ollama_local: %s\n", e ? e : "run failed");
    if (e && (strstr(e, "Couldn't connect") || strstr(e, "connect")))
      fprintf(stderr, "hint: start Ollama (ollama serve) or set OLLAMA_HOST\n");
    status = 2;
    goto out;
  }
  status = 0;
out:
  vbx_result_free(res);
  vbx_pipeline_free(p);
  vbx_runtime_free(rt);
  return status;
}
