/*
 * term_caps.h - what the terminal behind a descriptor offers output that
 * adapts to it (the trace waterfall): its width and whether to colour.
 * Output that is not a terminal gets a fixed width and no colour, so what
 * a pipe or a file receives does not depend on where it ran.
 */
#ifndef VBX_CLI_TERM_CAPS_H
#define VBX_CLI_TERM_CAPS_H

/* The width for output on fd: when fd is a terminal, COLUMNS (a positive
 * number) or else the terminal's size (TIOCGWINSZ); otherwise, or when
 * neither is known, `fallback`. */
unsigned vbx__term_width(int fd, unsigned fallback);

/* Whether output on fd may carry colour escapes: fd is a terminal, NO_COLOR
 * is unset or empty, and TERM is not "dumb". */
int vbx__term_color(int fd);

#endif
