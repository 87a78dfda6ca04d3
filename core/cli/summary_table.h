/*
 * summary_table.h - the per-box table printed after a run in human output
 * mode: stage, box, status, duration, turns, tokens and cost, then the
 * totals and the run's error (neutralised for terminals). Stage and box
 * names come from the spec and are valid names.
 */
#ifndef VBX_CLI_SUMMARY_TABLE_H
#define VBX_CLI_SUMMARY_TABLE_H

#include "util/strbuf.h"
#include "voidbox/voidbox.h"

/* Append the table for r to sb. */
void vbx__summary_format(vbx__strbuf *sb, const vbx_result *r);

#endif
