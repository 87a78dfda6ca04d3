/*
 * engine/prompt.c - the system prompt (a fixed engine preamble, or an
 * engine's own head, followed by each skill's contribution) and the first
 * user message.
 */
#include <string.h>

#include "engine/internal.h"

static const char preamble[] =
    "You are an agent running inside an isolated, disposable sandbox. Use the tools to "
    "run shell commands (bash) and to read and write files in the sandbox. When the task "
    "is done, reply with your final answer as plain text and call no more tools.";

const char *vbx__prompt_preamble(void) { return preamble; }

char *vbx__prompt_system(const vbx__box_run *br) { return vbx__prompt_with_skills(br, preamble); }

char *vbx__prompt_with_skills(const vbx__box_run *br, const char *head) {
  vbx__strbuf sb = VBX__STRBUF_INIT;
  vbx__strbuf_puts(&sb, head);
  for (size_t i = 0; i < br->n_skills; i++) {
    const char *p = br->skills[i].system_prompt;
    if (p == NULL || p[0] == '\0') continue;
    vbx__strbuf_puts(&sb, "\n\n");
    vbx__strbuf_puts(&sb, p);
  }
  if (sb.failed) {
    vbx__strbuf_reset(&sb);
    return NULL;
  }
  return vbx__strbuf_take(&sb);
}

char *vbx__prompt_first_user(const vbx_box *box, const char *input) {
  vbx__strbuf sb = VBX__STRBUF_INIT;
  vbx__strbuf_puts(&sb, box->prompt ? box->prompt : "");
  if (input != NULL) {
    vbx__strbuf_puts(&sb, "\n\nInput:\n");
    vbx__strbuf_puts(&sb, input);
  }
  if (sb.failed) {
    vbx__strbuf_reset(&sb);
    return NULL;
  }
  return vbx__strbuf_take(&sb);
}
