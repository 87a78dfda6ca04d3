/*
 * run/fan_out.c - a fan_out stage: one pthread per box, all given the same
 * input, joined before the stage ends; their outputs merged in declaration
 * order, each under a "### NAME" heading.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "run/run.h"
#include "util/strbuf.h"

typedef struct branch {
  vbx__run *run;
  size_t stage;
  size_t idx;
  const char *input;
  vbx__fan_ctl *ctl;
  pthread_t thread;
  int started;
} branch;

static void *branch_main(void *arg) {
  branch *b = arg;
  vbx__stage_run_box(b->run, b->stage, b->idx, b->input, b->ctl);
  return NULL;
}

void vbx__fan_out_run(vbx__run *run, size_t stage, const char *input) {
  vbx__stage_result *sr = &run->res->stages[stage];
  vbx__fan_ctl ctl;
  memset(&ctl, 0, sizeof(ctl));
  atomic_init(&ctl.cancel.cancelled, 0);
  atomic_init(&ctl.claimed, 0);
  vbx__fan_ctl *pctl = run->p->stages[stage].fail_fast ? &ctl : NULL;
  branch *bs = calloc(sr->n_boxes ? sr->n_boxes : 1, sizeof(*bs));
  for (size_t i = 0; i < sr->n_boxes; i++) {
    if (bs == NULL) {
      sr->boxes[i].status = VBX_STATUS_FAILED;
      vbx__box_result_fail(&sr->boxes[i], VBX_E_NOMEM, "out of memory");
      continue;
    }
    bs[i] = (branch){run, stage, i, input, pctl, 0, 0};
    int e = pthread_create(&bs[i].thread, NULL, branch_main, &bs[i]);
    if (e != 0) {
      sr->boxes[i].status = VBX_STATUS_FAILED;
      vbx__box_result_fail(&sr->boxes[i], VBX_E_LIMIT, "cannot start a thread for the box (%d)", e);
      continue;
    }
    bs[i].started = 1;
  }
  for (size_t i = 0; bs != NULL && i < sr->n_boxes; i++)
    if (bs[i].started) pthread_join(bs[i].thread, NULL);
  free(bs);
}

char *vbx__fan_out_merge(const vbx__stage_result *sr) {
  vbx__strbuf sb = VBX__STRBUF_INIT;
  for (size_t i = 0; i < sr->n_boxes; i++) {
    const vbx_box_result *b = &sr->boxes[i];
    vbx__strbuf_printf(&sb, "%s### %s\n", i ? "\n\n" : "", b->name);
    vbx__strbuf_puts(&sb, b->output ? b->output : "");
  }
  if (sb.failed) {
    vbx__strbuf_reset(&sb);
    return NULL;
  }
  return vbx__strbuf_take(&sb);
}
