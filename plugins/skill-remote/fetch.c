/*
 * skill-remote/fetch.c - getting a remote skill's SKILL.md over HTTP(S)
 * through host->http_request: BASE/OWNER/REPO/HEAD/DIR/SKILL.md, from the
 * lock's DIR or from each searched DIR while the answer is 404. Every body
 * is bounded (SKILL_MD_MAX_BYTES) and checked as a SKILL.md named after the
 * address before anything is cached.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remote.h"

#define CONNECT_MS 10000u
#define IDLE_MS 30000u

/* BASE/OWNER/REPO/HEAD/DIR/SKILL.md ("." is the root) into out. */
static void skill_url(const rskill_env *e, const rskill_addr *a, const char *dir, char *out,
                      size_t n) {
  if (strcmp(dir, ".") == 0)
    snprintf(out, n, "%s/%s/%s/%s/SKILL.md", e->base, a->owner, a->repo, RSKILL_REF);
  else
    snprintf(out, n, "%s/%s/%s/%s/%s/SKILL.md", e->base, a->owner, a->repo, RSKILL_REF, dir);
}

/* One GET of `url`: 0 with *status and, for a 2xx answer, the body in
 * *body (malloc'd, NUL-terminated), else an error set on the call. */
static int get(const rskill_env *e, const rskill_addr *a, const char *url, long *status,
               char **body, size_t *len) {
  const vbx_host_services *h = e->h;
  static const char *const headers[] = {"Accept: text/markdown, text/plain, */*", NULL};
  vbx_http_request rq;
  vbx_http_response rs;
  memset(&rq, 0, sizeof rq);
  memset(&rs, 0, sizeof rs);
  rq.struct_size = sizeof rq;
  rs.struct_size = sizeof rs;
  rq.method = "GET";
  rq.url = url;
  rq.headers = headers;
  rq.connect_timeout_ms = CONNECT_MS;
  rq.idle_timeout_ms = IDLE_MS;
  rq.max_response_bytes = SKILL_MD_MAX_BYTES;
  *body = NULL;
  *len = 0;
  *status = 0;
  int rc = h->http_request(h->ctx, &rq, &rs, e->call);
  if (rc == VBX_E_TOOBIG)
    rc = h->set_error(e->call, rc, NULL,
                      "remote skill '%s': GET %s: the body is over %u bytes, the limit on a "
                      "SKILL.md",
                      a->key, url, SKILL_MD_MAX_BYTES);
  if (rc == 0) {
    *status = rs.status;
    if (rs.status >= 200 && rs.status < 300) {
      *len = rs.body_len;
      *body = malloc(rs.body_len + 1);
      if (*body == NULL) {
        rc = h->set_error(e->call, VBX_E_NOMEM, NULL, "out of memory");
      } else {
        if (rs.body_len) memcpy(*body, rs.body, rs.body_len);
        (*body)[rs.body_len] = '\0';
      }
    }
  }
  h->free(rs.body);
  h->free(rs.retry_after);
  h->free(rs.content_type);
  return rc; /* a transport error: the host's message names the URL */
}

/* Check a 2xx body as SKILL.md for `a`. With `quiet` (the repository
 * root, which may hold a skill of its own or none), a body that is not a
 * valid SKILL.md of this skill sets *wrong_name and reports nothing; else
 * every fault is an error. */
static int check_body(const rskill_env *e, const rskill_addr *a, const char *url, const char *body,
                      size_t len, int quiet, int *wrong_name) {
  char msg[900];
  skill_md md;
  *wrong_name = 0;
  char *copy = malloc(len + 1);
  if (copy == NULL) return e->h->set_error(e->call, VBX_E_NOMEM, NULL, "out of memory");
  memcpy(copy, body, len + 1);
  int rc = skill_md_parse(url, copy, len, &md, msg, sizeof msg); /* takes copy */
  if (rc != 0 && quiet) {
    *wrong_name = 1;
    return 0;
  }
  if (rc != 0) return e->h->set_error(e->call, rc, NULL, "remote skill '%s': %s", a->key, msg);
  if (strcmp(md.name, a->skill) != 0 && quiet) {
    *wrong_name = 1;
  } else {
    rc = skill_md_check_dir(&md, a->skill, msg, sizeof msg);
    if (rc != 0) rc = e->h->set_error(e->call, rc, NULL, "remote skill '%s': %s", a->key, msg);
  }
  skill_md_clear(&md);
  return rc;
}

int rskill_fetch(const rskill_env *e, const rskill_addr *a, const char *dir, rskill_fetched *out) {
  const vbx_host_services *h = e->h;
  char dirs[16][RSKILL_DIR_MAX], url[RSKILL_URL_MAX], first[RSKILL_URL_MAX] = "";
  size_t n = 0;
  memset(out, 0, sizeof *out);
  if (e->offline)
    return h->set_error(e->call, VBX_E_STATE, NULL,
                        "remote skill '%s' must be fetched, but the network is off (--offline)",
                        a->key);
  for (; rskill_search_dirs[n] != NULL && n < 16; n++)
    snprintf(dirs[n], sizeof dirs[0], rskill_search_dirs[n], a->skill);
  if (dir != NULL) { /* a lock's pin: one of those places, and only it */
    size_t k = 0;
    while (k < n && strcmp(dirs[k], dir) != 0)
      k++;
    if (k == n)
      return h->set_error(e->call, VBX_E_INVAL, NULL,
                          "remote skill '%s': the lock pins it in '%.100s', which is not a place "
                          "voidbox looks for it; run `voidbox skills update %s`",
                          a->key, dir, a->key);
    if (k > 0) memcpy(dirs[0], dirs[k], sizeof dirs[0]);
    n = 1;
  }
  for (size_t i = 0; i < n; i++) {
    long status = 0;
    char *body = NULL;
    size_t len = 0;
    skill_url(e, a, dirs[i], url, sizeof url);
    if (i == 0) snprintf(first, sizeof first, "%s", url);
    int rc = get(e, a, url, &status, &body, &len);
    if (rc != 0) return rc;
    if (status == 404) continue;
    if (status < 200 || status >= 300)
      return h->set_error(e->call, VBX_E_HTTP, NULL,
                          "remote skill '%s': GET %s answered HTTP %ld%s", a->key, url, status,
                          status == 403 || status == 429
                              ? " (refused or rate-limited; try again later)"
                          : status >= 300 && status < 400 ? " (redirects are not followed)"
                                                          : "");
    int wrong = 0;
    rc = check_body(e, a, url, body, len, dir == NULL && strcmp(dirs[i], ".") == 0, &wrong);
    if (rc != 0 || wrong) {
      free(body);
      if (rc != 0) return rc;
      continue; /* the repository's own skill, another one */
    }
    out->data = body;
    out->len = len;
    memcpy(out->pin.dir, dirs[i], sizeof out->pin.dir); /* the same size */
    snprintf(out->pin.url, sizeof out->pin.url, "%s", url);
    rskill_sha256_hex(body, len, out->pin.sha256);
    out->pin.size = len;
    rskill_utc_now(h, out->pin.fetched_at);
    return 0;
  }
  if (dir != NULL)
    return h->set_error(e->call, VBX_E_NOTFOUND, NULL,
                        "remote skill '%s': GET %s answered HTTP 404 (not found); the lock pins "
                        "that place: if the skill moved, run `voidbox skills update %s`",
                        a->key, first, a->key);
  char tried[600] = "";
  size_t used = 0;
  for (size_t i = 1; i < n && used < sizeof tried; i++) {
    int k = snprintf(tried + used, sizeof tried - used, "%s%s", i > 1 ? ", " : "",
                     strcmp(dirs[i], ".") == 0 ? "the root" : dirs[i]);
    if (k > 0) used += (size_t)k;
  }
  return h->set_error(e->call, VBX_E_NOTFOUND, NULL,
                      "remote skill '%s': no SKILL.md for it: GET %s answered HTTP 404 (not "
                      "found), and so did the other places searched in %s/%s (%s)",
                      a->key, first, a->owner, a->repo, tried);
}
