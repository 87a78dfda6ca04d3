/*
 * skill-file/skill_md.h - reading a SKILL.md: bounded file read, optional
 * YAML front matter (name, description; other keys are allowed and
 * ignored), the body after it, and the skill's name.
 */
#ifndef VBX_SKILL_MD_H
#define VBX_SKILL_MD_H

#include <stddef.h>

#define SKILL_MD_MAX_BYTES (256u * 1024u)
#define SKILL_NAME_MAX 64

typedef struct skill_md {
  char *path;    /* resolved path (malloc'd) */
  char *content; /* the whole file, NUL-terminated (malloc'd) */
  size_t len;
  const char *body;  /* points into content: text after the front matter */
  char *name;        /* from front matter, else derived from the path */
  char *description; /* may be NULL */
} skill_md;

/* Read and parse `value` (relative to spec_dir unless absolute). Returns 0
 * or a negative VBX_E_* code with a message naming the path (and
 * line:column for front-matter errors) in msg. */
int skill_md_load(const char *spec_dir, const char *value, skill_md *out, char *msg,
                  size_t msg_len);
void skill_md_clear(skill_md *s);

#endif
