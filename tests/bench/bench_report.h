/*
 * tests/bench/bench_report.h - one machine-readable line per headline
 * figure, beside the human text every benchmark prints. scripts/bench.sh
 * collects these lines from all benchmarks into one markdown table (figure,
 * ours, peer, ratio, goal, met).
 *
 * Line format (tab-separated, one line, starts with "BENCH\t"):
 *   BENCH <figure> <ours> <unit> <peer name> <peer value> <goal>
 *   figure      what is measured, e.g. "local one-command lifecycle p50"
 *   ours        our value (%.3f)
 *   unit        "ms", "us", "MB/s", "KiB", ...
 *   peer name   the tool a user would otherwise pick, measured in the same
 *               run ("bwrap --unshare-all", "fork/exec", ...), or "-"
 *   peer value  its value in the same unit, or "-" (NAN given)
 *   goal        "ratio<=X" (ours/peer at most X), "ratio>=X",
 *               "value<=X" / "value>=X" (ours alone, in unit), or "-"
 *
 * Header-only; used by the benchmarks in this folder, not installed.
 */
#ifndef VBX_BENCH_REPORT_H
#define VBX_BENCH_REPORT_H

#include <math.h>
#include <stdio.h>

/* Prints one BENCH line on stdout (and flushes, so a later crash keeps it).
 * figure, unit, peer and goal are plain text without tabs or newlines;
 * peer may be NULL ("-"), peer_value NAN when there is no peer figure,
 * goal NULL for "-". */
static inline void bench_figure(const char *figure, double ours, const char *unit, const char *peer,
                                double peer_value, const char *goal) {
  printf("BENCH\t%s\t%.3f\t%s\t%s\t", figure, ours, unit, peer ? peer : "-");
  if (isnan(peer_value))
    printf("-");
  else
    printf("%.3f", peer_value);
  printf("\t%s\n", goal ? goal : "-");
  fflush(stdout);
}

#endif
