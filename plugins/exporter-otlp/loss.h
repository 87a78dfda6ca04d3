/*
 * exporter-otlp/loss.h - what the exporter did not deliver, by signal and
 * by reason, and the one warning line destroy writes about it:
 *   "otlp: 12 spans, 3 log records and 0 metric points were not delivered
 *    to http://localhost:4318: queue full (10), collector unreachable (5)"
 *
 * Threads: none of its own; the exporter's mutex guards it.
 */
#ifndef VBX_OTLP_LOSS_H
#define VBX_OTLP_LOSS_H

#include <stddef.h>
#include <stdint.h>

#include "opts.h"

typedef enum ox_reason {
  OX_R_QUEUE_FULL = 0, /* the exporter's buffer was full */
  OX_R_UNREACHABLE,    /* transport errors until the last attempt */
  OX_R_UNAVAILABLE,    /* HTTP 429/502/503/504 until the last attempt */
  OX_R_REJECTED,       /* another HTTP error, or partialSuccess rejections */
  OX_R_FLUSH_TIMEOUT,  /* still queued when the flush's time ran out */
  OX_R_NOT_FLUSHED,    /* still queued when destroyed without a flush */
  OX_R_STREAM_LIMIT,   /* metric points of streams past the limit */
  OX_R_INVALID,        /* metric points refused (NaN, kind conflict) */
  OX_R_NOMEM,          /* out of memory copying or encoding */
  OX_R_N
} ox_reason;

typedef struct ox_loss {
  uint64_t by_signal[OX_N_SIGNALS];
  uint64_t by_reason[OX_R_N];
} ox_loss;

/* Count n records of signal lost for reason. */
void ox_loss_add(ox_loss *l, int signal, ox_reason reason, uint64_t n);
/* The total lost. */
uint64_t ox_loss_total(const ox_loss *l);
/* The warning line about l, naming `where` (the collector), into buf; ""
 * when nothing was lost. */
void ox_loss_summary(const ox_loss *l, const char *where, char *buf, size_t n);

#endif
