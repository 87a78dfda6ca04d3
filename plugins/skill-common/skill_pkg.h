/*
 * skill-common/skill_pkg.h - a skill package: a checked SKILL.md plus the
 * resource files of its directory (scripts/, references/, assets/, ...),
 * read into memory with bounds, and installed into a box's sandbox under
 * /skills/NAME/. Used by the skill types that bring SKILL.md skills
 * (skill-file for local ones, skill-remote for fetched ones).
 *
 * A package is read from a directory holding SKILL.md (SKILL.md plus every
 * other file under it, the resources), or from a file named SKILL.md alone
 * (no resources). Either way `name` must equal the directory's name.
 * Bounds: SKILL_PKG_MAX_FILES files, SKILL_PKG_MAX_BYTES in all, paths
 * SKILL_PKG_MAX_DEPTH directories deep. Entries whose name starts with '.'
 * (.git, .DS_Store) are not part of a skill and are left out; a symbolic
 * link, a device or a FIFO is an error naming it (nothing outside the
 * directory is ever read).
 *
 * Threads: functions touch only their arguments (and the sandbox/call they
 * are given).
 */
#ifndef VBX_SKILL_PKG_H
#define VBX_SKILL_PKG_H

#include <stddef.h>
#include <stdint.h>

#include "skill_md.h"
#include "voidbox/plugin.h"

#define SKILL_PKG_MAX_FILES 512u
#define SKILL_PKG_MAX_BYTES (16u * 1024u * 1024u)
#define SKILL_PKG_MAX_DEPTH 8
#define SKILL_PKG_GUEST_ROOT "/skills"

/* One resource file (not SKILL.md itself). */
typedef struct skill_res {
  char *rel;  /* path under the skill's directory, "scripts/run.sh" (malloc'd) */
  char *data; /* its bytes (malloc'd; may contain NUL) */
  size_t len;
  uint32_t mode; /* 0755 when the host file is executable by its owner, else 0644 */
} skill_res;

typedef struct skill_pkg {
  skill_md md;    /* the checked SKILL.md */
  skill_res *res; /* resource files (malloc'd array) */
  size_t n_res;   /* how many */
  size_t bytes;   /* SKILL.md + resources */
} skill_pkg;

/* skill_pkg_load - read the package at `value` (relative to spec_dir unless
 * absolute): a skill directory or its SKILL.md. Checks the front matter,
 * that `name` equals the directory's name, and the bounds. Returns 0, or a
 * negative VBX_E_* code with a message naming the path (and line:column for
 * a front-matter fault) in msg; *out is cleared on error. */
int skill_pkg_load(const char *spec_dir, const char *value, skill_pkg *out, char *msg,
                   size_t msg_len);

/* skill_pkg_provision - write SKILL.md and every resource under
 * ROOT/NAME/ in the sandbox (ROOT e.g. SKILL_PKG_GUEST_ROOT) through
 * sandbox->file_write. Returns 0 or the sandbox's code (its message set on
 * the call) or VBX_E_UNSUPPORTED (set on the call) when the sandbox cannot
 * write files. */
int skill_pkg_provision(const skill_pkg *p, const vbx_host_services *h,
                        const vbx_sandbox_ref *sandbox, const char *root, vbx_call *call);

/* skill_pkg_install - a package skill type's whole provision: the files
 * (skill_pkg_provision under SKILL_PKG_GUEST_ROOT), then out->name and
 * out->system_prompt (host->alloc'd, skill_pkg_prompt); no tools. 0, or the
 * sandbox's code / VBX_E_NOMEM set on the call with out's strings NULL. */
int skill_pkg_install(const skill_pkg *p, const vbx_host_services *h,
                      const vbx_sandbox_ref *sandbox, vbx_skill_contrib *out, vbx_call *call);

/* skill_pkg_prompt - the skill's entry in the box's system prompt (name,
 * description and where the full instructions are), host->alloc'd; NULL
 * when out of memory. Progressive disclosure: the body is not in it. */
char *skill_pkg_prompt(const skill_pkg *p, const vbx_host_services *h, const char *root);

/* skill_pkg_clear - free everything; *p is zeroed. Safe on a zeroed one. */
void skill_pkg_clear(skill_pkg *p);

#endif
