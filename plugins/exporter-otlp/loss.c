/*
 * exporter-otlp/loss.c - undelivered records and their summary line (see
 * loss.h).
 */
#include "loss.h"

#include <stdio.h>

static const char *const reason_text[OX_R_N] = {
    "queue full",    "collector unreachable", "collector unavailable", "rejected by the collector",
    "flush timeout", "not flushed",           "metric stream limit",   "invalid metric points",
    "out of memory"};

void ox_loss_add(ox_loss *l, int signal, ox_reason reason, uint64_t n) {
  if (n == 0 || signal < 0 || signal >= OX_N_SIGNALS || reason >= OX_R_N) return;
  l->by_signal[signal] += n;
  l->by_reason[reason] += n;
}

uint64_t ox_loss_total(const ox_loss *l) {
  uint64_t t = 0;
  for (int s = 0; s < OX_N_SIGNALS; s++)
    t += l->by_signal[s];
  return t;
}

void ox_loss_summary(const ox_loss *l, const char *where, char *buf, size_t n) {
  if (n == 0) return;
  buf[0] = '\0';
  if (ox_loss_total(l) == 0) return;
  unsigned long long sp = l->by_signal[OX_TRACES], lg = l->by_signal[OX_LOGS],
                     mp = l->by_signal[OX_METRICS];
  int len = snprintf(buf, n,
                     "otlp: %llu span%s, %llu log record%s and %llu metric point%s were not "
                     "delivered to %s:",
                     sp, sp == 1 ? "" : "s", lg, lg == 1 ? "" : "s", mp, mp == 1 ? "" : "s", where);
  const char *sep = " ";
  for (int r = 0; r < OX_R_N && len > 0 && (size_t)len < n; r++) {
    if (l->by_reason[r] == 0) continue;
    len += snprintf(buf + len, n - (size_t)len, "%s%s (%llu)", sep, reason_text[r],
                    (unsigned long long)l->by_reason[r]);
    sep = ", ";
  }
}
