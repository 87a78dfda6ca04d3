/*
 * skill-remote/addr.c - a remote skill's address: OWNER/REPO@SKILL (the
 * skills.sh form) or OWNER/REPO/SKILL, checked part by part before any of
 * it becomes a path in the cache or a URL.
 */
#include <stdio.h>
#include <string.h>

#include "remote.h"

#define FORM "expected OWNER/REPO@SKILL or OWNER/REPO/SKILL"

static int owner_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

static int repo_char(char c) { return owner_char(c) || c == '.' || c == '_'; }

/* Copy s[0..n) into out[cap] as a C string. */
static void take(char *out, size_t cap, const char *s, size_t n) {
  if (n >= cap) n = cap - 1;
  memcpy(out, s, n);
  out[n] = '\0';
}

/* Check the three parts; on error msg says which and why. */
static int check_parts(const char *text, const char *o, size_t on, const char *r, size_t rn,
                       const char *s, size_t sn, char *msg, size_t msg_len) {
  if (on == 0 || on > RSKILL_OWNER_MAX) {
    snprintf(msg, msg_len, "remote skill address '%.200s': the owner must be 1 to %d characters",
             text, RSKILL_OWNER_MAX);
    return VBX_E_INVAL;
  }
  for (size_t i = 0; i < on; i++)
    if (!owner_char(o[i]) || (i == 0 && o[i] == '-')) {
      snprintf(msg, msg_len,
               "remote skill address '%.200s': the owner '%.*s' may hold only letters, digits "
               "and '-' (not first)",
               text, (int)on, o);
      return VBX_E_INVAL;
    }
  if (rn == 0 || rn > RSKILL_REPO_MAX) {
    snprintf(msg, msg_len,
             "remote skill address '%.200s': the repository must be 1 to %d characters", text,
             RSKILL_REPO_MAX);
    return VBX_E_INVAL;
  }
  for (size_t i = 0; i < rn; i++)
    if (!repo_char(r[i])) {
      snprintf(msg, msg_len,
               "remote skill address '%.200s': the repository '%.*s' may hold only letters, "
               "digits, '.', '_' and '-'",
               text, (int)rn, r);
      return VBX_E_INVAL;
    }
  if ((rn == 1 && r[0] == '.') || memmem(r, rn, "..", 2) != NULL) {
    snprintf(msg, msg_len,
             "remote skill address '%.200s': the repository may not be '.' or contain '..'", text);
    return VBX_E_INVAL;
  }
  char name[SKILL_NAME_MAX + 2];
  take(name, sizeof name, s, sn);
  if (sn == 0 || sn > SKILL_NAME_MAX || !skill_md_valid_name(name)) {
    snprintf(msg, msg_len,
             "remote skill address '%.200s': the skill name '%.*s' must be 1 to %d of a-z, 0-9 "
             "and '-' (not at either end, never two in a row), as the Agent Skills format "
             "names skills",
             text, (int)(sn > 80 ? 80 : sn), s, SKILL_NAME_MAX);
    return VBX_E_INVAL;
  }
  return 0;
}

int rskill_addr_parse(const char *text, rskill_addr *out, char *msg, size_t msg_len) {
  memset(out, 0, sizeof *out);
  if (text == NULL || text[0] == '\0') {
    snprintf(msg, msg_len, "a remote skill needs an address: " FORM);
    return VBX_E_INVAL;
  }
  size_t len = strnlen(text, RSKILL_KEY_MAX + 1);
  if (len > RSKILL_KEY_MAX) {
    snprintf(msg, msg_len, "remote skill address '%.60s...' is over %d characters", text,
             (int)RSKILL_KEY_MAX);
    return VBX_E_TOOBIG;
  }
  if (strstr(text, "://") != NULL) {
    snprintf(msg, msg_len,
             "remote skill address '%.200s': a URL is not an address: name the skill as "
             "OWNER/REPO@SKILL (skills.base_url says where from)",
             text);
    return VBX_E_INVAL;
  }
  const char *slash = memchr(text, '/', len);
  if (slash == NULL) {
    snprintf(msg, msg_len, "remote skill address '%s': " FORM, text);
    return VBX_E_INVAL;
  }
  const char *repo = slash + 1, *end = text + len;
  const char *at = memchr(repo, '@', (size_t)(end - repo));
  const char *sep = at ? at : memchr(repo, '/', (size_t)(end - repo));
  if (sep == NULL || memchr(sep + 1, '/', (size_t)(end - sep - 1)) != NULL ||
      memchr(sep + 1, '@', (size_t)(end - sep - 1)) != NULL ||
      (at && memchr(repo, '/', (size_t)(at - repo)) != NULL)) {
    snprintf(msg, msg_len, "remote skill address '%s': " FORM "%s", text,
             sep == NULL ? " (no skill named)" : " (one skill, named once, no deeper path)");
    return VBX_E_INVAL;
  }
  int rc = check_parts(text, text, (size_t)(slash - text), repo, (size_t)(sep - repo), sep + 1,
                       (size_t)(end - sep - 1), msg, msg_len);
  if (rc != 0) return rc;
  take(out->owner, sizeof out->owner, text, (size_t)(slash - text));
  take(out->repo, sizeof out->repo, repo, (size_t)(sep - repo));
  take(out->skill, sizeof out->skill, sep + 1, (size_t)(end - sep - 1));
  snprintf(out->key, sizeof out->key, "%s/%s@%s", out->owner, out->repo, out->skill);
  return 0;
}
