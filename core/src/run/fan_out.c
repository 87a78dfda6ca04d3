/*
 * run/fan_out.c - a fan_out stage: its boxes, all given the same input, run
 * on a pool of at most max_parallel threads (the calling thread is one of
 * them) that take the next box in declaration order until none is left;
 * the stage ends when every box has. Outputs are merged in declaration
 * order, each under a "### NAME" heading.
 *
 * A fail-fast stage's cancellation (vbx__fan_ctl) reaches boxes still
 * running; a box the pool takes after it fired sees the token cancelled
 * before its sandbox is created and ends CANCELLED, so every box has a
 * result.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run/run.h"
#include "util/strbuf.h"

typedef struct pool {
  vbx__run *run;
  size_t stage;
  size_t n;
  const char *input;
  vbx__fan_ctl *ctl;
  atomic_size_t next; /* the next box to take */
} pool;

static void *worker_main(void *arg) {
  pool *p = arg;
  for (;;) {
    size_t i = atomic_fetch_add(&p->next, 1);
    if (i >= p->n) break;
    vbx__stage_run_box(p->run, p->stage, i, p->input, p->ctl);
  }
  return NULL;
}

unsigned vbx__fan_out_width(const vbx_pipeline *p, size_t n_boxes) {
  unsigned width = p->max_parallel;
  if (width == 0) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    width = (unsigned)(cpus > 0 && cpus < 1024 ? cpus : 1) * 4;
  }
  return n_boxes < width ? (unsigned)n_boxes : width;
}

void vbx__fan_out_run(vbx__run *run, size_t stage, const char *input) {
  vbx__stage_result *sr = &run->res->stages[stage];
  vbx__fan_ctl ctl;
  memset(&ctl, 0, sizeof(ctl));
  atomic_init(&ctl.cancel.cancelled, 0);
  atomic_init(&ctl.claimed, 0);
  pool pl = {run, stage, sr->n_boxes, input, run->p->stages[stage].fail_fast ? &ctl : NULL, 0};
  atomic_init(&pl.next, 0);
  unsigned width = vbx__fan_out_width(run->p, sr->n_boxes);
  /* width - 1 helpers; the calling thread is the last worker. A helper that
   * cannot be started only narrows the pool. */
  pthread_t *helpers = width > 1 ? calloc(width - 1, sizeof(*helpers)) : NULL;
  unsigned started = 0;
  for (unsigned i = 0; helpers != NULL && i + 1 < width; i++) {
    if (pthread_create(&helpers[i], NULL, worker_main, &pl) != 0) break;
    started++;
  }
  worker_main(&pl);
  for (unsigned i = 0; i < started; i++)
    pthread_join(helpers[i], NULL);
  free(helpers);
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
