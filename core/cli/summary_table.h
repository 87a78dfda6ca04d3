/*
 * summary_table.h - the human summary printed after a run: one row per box
 * (stage, box, status, duration, turns, tokens in/out, cost) and a totals
 * row.
 */
#ifndef VBX_CLI_SUMMARY_TABLE_H
#define VBX_CLI_SUMMARY_TABLE_H

#include <stdio.h>

#include "voidbox/voidbox.h"

/* Print the table for r to out. */
void vbx__summary_print(FILE *out, const vbx_result *r);

#endif
