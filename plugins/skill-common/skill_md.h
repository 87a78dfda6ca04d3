/*
 * skill-common/skill_md.h - a SKILL.md in the Agent Skills format: a YAML
 * front matter block between `---` lines, then Markdown instructions.
 *
 * The front matter is checked the way the format defines it:
 *   name         required; 1..64 of a-z 0-9 and '-', not starting or ending
 *                with '-', no "--"; equal to the skill's directory name
 *                (checked by the caller, which knows the directory:
 *                skill_md_check_dir)
 *   description  required; 1..1024 characters (UTF-8 code points)
 *   license      optional string
 *   compatibility optional string of at most 500 characters
 *   metadata     optional map of string keys to string values
 *   allowed-tools optional string
 * Other keys are allowed and kept: the file is provisioned byte for byte.
 * Every error names the file and the line:column of the value at fault.
 *
 * Threads: functions touch only their arguments.
 */
#ifndef VBX_SKILL_MD_H
#define VBX_SKILL_MD_H

#include <stddef.h>

#define SKILL_MD_MAX_BYTES (256u * 1024u)
#define SKILL_NAME_MAX 64
#define SKILL_DESCRIPTION_MAX 1024
#define SKILL_COMPATIBILITY_MAX 500

typedef struct skill_md {
  char *path;    /* the file, for messages (malloc'd) */
  char *content; /* the whole file, NUL-terminated (malloc'd) */
  size_t len;
  const char *body;  /* points into content: the text after the front matter */
  char *name;        /* front matter `name` (malloc'd) */
  char *description; /* front matter `description` (malloc'd) */
  int name_line;     /* line and column of the name's value, for messages */
  int name_col;
} skill_md;

/* skill_md_parse - check `content` (len bytes; taken over: freed by
 * skill_md_clear, also on error) as a SKILL.md named `path` in messages.
 * Returns 0, or VBX_E_SPEC / VBX_E_INVAL / VBX_E_NOMEM with
 * "PATH:LINE:COL: ..." (or "PATH: ...") in msg; *out is cleared on error. */
int skill_md_parse(const char *path, char *content, size_t len, skill_md *out, char *msg,
                   size_t msg_len);

/* skill_md_load_file - read `path` (a regular file, no symlink followed at
 * the last component, at most SKILL_MD_MAX_BYTES, no NUL byte) and
 * skill_md_parse it. Same returns, plus VBX_E_NOTFOUND / VBX_E_IO /
 * VBX_E_TOOBIG. */
int skill_md_load_file(const char *path, skill_md *out, char *msg, size_t msg_len);

/* skill_md_check_dir - the format's rule that `name` equals the directory
 * the SKILL.md sits in (`dir_name`, its last component only). 0, or
 * VBX_E_SPEC with "PATH:LINE:COL: ..." in msg. */
int skill_md_check_dir(const skill_md *md, const char *dir_name, char *msg, size_t msg_len);

/* skill_md_valid_name - non-zero when s follows the format's name rule. */
int skill_md_valid_name(const char *s);

/* skill_md_clear - free everything; *s is zeroed. Safe on a zeroed struct. */
void skill_md_clear(skill_md *s);

#endif
