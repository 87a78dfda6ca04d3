/*
 * summary_table.c - the table `voidbox run` prints after a human-output
 * run (see summary_table.h).
 */
#include "summary_table.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "term_text.h"

static void fmt_duration(char *buf, size_t n, uint64_t ns) {
  double ms = (double)ns / 1e6;
  if (ms < 1000.0)
    snprintf(buf, n, "%.1f ms", ms);
  else
    snprintf(buf, n, "%.2f s", ms / 1000.0);
}

static void row(vbx__strbuf *sb, const char *stage, const char *box, const char *status,
                uint64_t ns, const char *turns, uint64_t in, uint64_t outk, double cost) {
  char dur[32];
  fmt_duration(dur, sizeof(dur), ns);
  vbx__strbuf_printf(sb, "%-24.24s %-20.20s %-10s %10s %6s %10" PRIu64 " %10" PRIu64 " %10.4f\n",
                     stage, box, status, dur, turns, in, outk, cost);
}

void vbx__summary_format(vbx__strbuf *sb, const vbx_result *r) {
  vbx__strbuf_printf(sb, "\n%-24s %-20s %-10s %10s %6s %10s %10s %10s\n", "STAGE", "BOX", "STATUS",
                     "DURATION", "TURNS", "TOK IN", "TOK OUT", "COST $");
  for (size_t s = 0; s < vbx_result_stage_count(r); s++) {
    for (size_t b = 0; b < vbx_result_box_count(r, s); b++) {
      const vbx_box_result *br = vbx_result_box(r, s, b);
      char turns[16];
      snprintf(turns, sizeof(turns), "%u", vbx_box_result_turns(br));
      row(sb, vbx_result_stage_name(r, s), vbx_box_result_name(br),
          vbx_status_name(vbx_box_result_status(br)), vbx_box_result_duration_ns(br), turns,
          vbx_box_result_input_tokens(br), vbx_box_result_output_tokens(br),
          vbx_box_result_cost_usd(br));
    }
  }
  row(sb, "total", "", vbx_status_name(vbx_result_status(r)), vbx_result_duration_ns(r), "",
      vbx_result_input_tokens(r), vbx_result_output_tokens(r), vbx_result_cost_usd(r));
  const char *err = vbx_result_error(r);
  if (err) {
    vbx__strbuf_puts(sb, "error: ");
    vbx__term_puts(sb, err);
    vbx__strbuf_puts(sb, "\n");
  }
}
