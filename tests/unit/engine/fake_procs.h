/*
 * fake_procs.h - in-process plugins for the streaming-exec tests of the
 * engine (test_engine_procs.c), loaded beside fake_plugins.h's with
 * fake_runtime_with(fake_procs_entry, "fakeproc"); they log to the same
 * log (fake_logf):
 *
 *  sandbox "fakeproc": every proc_* method; a proc is an in-memory `cat`
 *    named by argv[0] (what is written is read back on stdout; end of file
 *    after proc_close_stdin or proc_kill); a proc named "lost" fails its
 *    reads with VBX_E_SANDBOX_LOST. Logs "sandbox.create:BOX",
 *    "proc.open:BOX:NAME", "proc.close:BOX:NAME" and, on destroy,
 *    "sandbox.destroy:BOX:open=N" (N procs not closed by then).
 *  sandbox "halfproc": the same but without proc_close (the ABI's "all or
 *    none" broken).
 *  skill "procs": provision opens "left" (left open), "mine" (closed by
 *    the skill's destroy through the ref it copied) and "short" (closed at
 *    once); when proc_open fails it logs "procs.unsupported:CODE:MESSAGE"
 *    and provisions nothing. Tools: "procs_tool" opens "tool", writes
 *    "ping\n", reads it back ("got ping\n"), leaves it open; "procs_lost"
 *    opens "lost" and reads (a tool error, the code swallowed).
 */
#ifndef FAKE_PROCS_H
#define FAKE_PROCS_H

#include "voidbox/plugin.h"

const vbx_plugin_descriptor *fake_procs_entry(void);

#endif
