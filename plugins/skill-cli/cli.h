/*
 * skill-cli/cli.h - the parts of the skill type "cli": the declaration
 * (plugin.c), the check that a host binary is a static ELF executable
 * (cli_elf.c), and the tool that runs the program without a shell
 * (cli_tool.c).
 *
 * Threads: a cli_skill is used by one thread at a time (the engine's box
 * thread); the functions touch only their arguments.
 */
#ifndef VBX_SKILL_CLI_H
#define VBX_SKILL_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "voidbox/plugin.h"

#define CLI_NAME_MAX 64
#define CLI_BINARY_MAX (64u * 1024u * 1024u)
#define CLI_GUEST_BIN "/skills/bin"
#define CLI_MAX_ARGS 256
#define CLI_ARG_MAX (64u * 1024u)
#define CLI_OUTPUT_MAX (64u * 1024u)

/* One declared program. */
typedef struct cli_skill {
  const vbx_host_services *host;
  char name[CLI_NAME_MAX + 1]; /* the program's name */
  char tool[CLI_NAME_MAX + 8]; /* "cli__NAME" with [^A-Za-z0-9_-] as '_' */
  char *host_path;             /* a host binary to provision, or NULL (malloc'd) */
  char *run_path;              /* argv[0] in the sandbox (malloc'd) */
  char *description;           /* told to the model, or NULL (malloc'd) */
  uint32_t timeout_ms;         /* per call */
  int check;                   /* look the program up at provisioning */
} cli_skill;

/* cli_elf_check_static - `path` must be a regular file of at most
 * CLI_BINARY_MAX bytes holding a 64-bit little-endian x86-64 ELF executable
 * with no program interpreter (statically linked). Returns 0 and the bytes
 * in *data (malloc'd) / *len, or VBX_E_NOTFOUND / VBX_E_IO / VBX_E_TOOBIG /
 * VBX_E_INVAL with a message naming the path in msg. */
int cli_elf_check_static(const char *path, char **data, size_t *len, char *msg, size_t msg_len);

/* cli_elf_check_bytes - the same checks on bytes in memory (every offset in
 * the headers bounded by len); 0 or VBX_E_INVAL with why in msg. */
int cli_elf_check_bytes(const unsigned char *b, size_t len, char *msg, size_t msg_len);

/* cli_tool_def - the tool's definition in the canonical shape (a new
 * reference) or NULL when out of memory. */
vbx_json *cli_tool_def(const cli_skill *s);

/* cli_tool_run - run the program in the sandbox with the tool input
 * {"args": [strings], "stdin": string}; *out_text (host->alloc'd) is its
 * stdout, stderr and exit status. A bad input or a failing program sets
 * *is_error and returns 0; the sandbox's own failure is returned (its
 * message set on the call). */
int cli_tool_run(const cli_skill *s, const vbx_sandbox_ref *sb, const vbx_json *input,
                 char **out_text, int *is_error, vbx_call *call);

#endif
