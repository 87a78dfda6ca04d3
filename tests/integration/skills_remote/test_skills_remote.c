/*
 * test_skills_remote - remote skills end to end: the real `voidbox` binary
 * (run, validate, skills add/update/list) with the real skill-remote,
 * sandbox-mock and llm-mock plugins, against a scripted HTTP server on
 * 127.0.0.1 (tests/integration/llm/fake_server.c). Each test has its own
 * spec directory (and lockfile), cache and HOME under a temp directory.
 *
 * examples/remote_skills is run here too, offline and served.
 *
 * A scripted server answers its requests in order and 500 past the end of
 * its script, so a test that scripts N answers also proves there were no
 * more than N fetches; a stopped server refuses connections, so a run
 * against one proves there was no fetch at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_server.h"
#include "remote.h"

extern char **environ;

#define SKILL "acme/tools@csv-summary"
#define SKILL_PATH "/acme/tools/HEAD/skills/csv-summary/SKILL.md"

static const char V1[] =
    "---\nname: csv-summary\ndescription: Summarises a CSV file column by column.\n---\n"
    "# CSV summary\nVersion 1: count the rows, then give min and max of each numeric column.\n";
static const char V2[] =
    "---\nname: csv-summary\ndescription: Summarises a CSV file column by column.\n---\n"
    "# CSV summary\nVersion 2: also give the mean of each numeric column.\n";
static const char OTHER[] =
    "---\nname: other-skill\ndescription: Another skill of the same repository.\n---\nOther.\n";

static const char AGENT_SPEC[] =
    "api_version: v1\n"
    "kind: agent\n"
    "name: remote\n"
    "sandbox: {backend: mock, record: calls.jsonl}\n"
    "llm:\n"
    "  provider: mock\n"
    "  turns:\n"
    "    - text: Reading the skill.\n"
    "      tool_calls:\n"
    "        - {name: bash, input: {command: \"cat /skills/csv-summary/SKILL.md\"}}\n"
    "    - text: \"Skill said: {{last_tool_output}}\"\n"
    "agent:\n"
    "  prompt: Summarise data.csv\n"
    "  skills: [\"remote:" SKILL "\"]\n";

typedef struct fx {
  char root[256];
  char spec_dir[300];
  char spec[340];
  char cache[300];
  char lock[340];
  char cached_md[400];
  char *out, *err; /* of the last run_cli */
} fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  assert_non_null(f);
  snprintf(f->root, sizeof f->root, "/tmp/vbx_rskill_XXXXXX");
  assert_non_null(mkdtemp(f->root));
  snprintf(f->spec_dir, sizeof f->spec_dir, "%s/spec", f->root);
  snprintf(f->spec, sizeof f->spec, "%s/remote.yaml", f->spec_dir);
  snprintf(f->cache, sizeof f->cache, "%s/cache", f->root);
  snprintf(f->lock, sizeof f->lock, "%s/voidbox-skills.lock", f->spec_dir);
  snprintf(f->cached_md, sizeof f->cached_md, "%s/acme/tools/csv-summary/SKILL.md", f->cache);
  assert_int_equal(mkdir(f->spec_dir, 0755), 0);
  char home[300];
  snprintf(home, sizeof home, "%s/home", f->root);
  assert_int_equal(mkdir(home, 0755), 0);
  setenv("HOME", home, 1); /* nothing reaches the real cache */
  unsetenv("XDG_CACHE_HOME");
  unsetenv("VOIDBOX_SKILLS_BASE_URL");
  unsetenv("VOIDBOX_SKILLS_CACHE_DIR");
  unsetenv("VOIDBOX_SKILLS_OFFLINE");
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->root);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", f->root);
  free(f->out);
  free(f->err);
  free(f);
  return 0;
}

static char *slurp(const char *path) {
  FILE *fp = fopen(path, "rb");
  if (fp == NULL) return NULL;
  fseek(fp, 0, SEEK_END);
  long n = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  assert_non_null(s);
  assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
  s[n] = '\0';
  fclose(fp);
  return s;
}

static void spit(const char *path, const char *text) {
  FILE *fp = fopen(path, "wb");
  assert_non_null(fp);
  assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
  assert_int_equal(fclose(fp), 0);
}

/* Run voidbox with argv (NULL-terminated, argv[0] omitted); f->out and
 * f->err get its output. Returns the exit status. */
static int run_cli(fx *f, ...) {
  const char *argv[64] = {VBX_TEST_VOIDBOX};
  size_t n = 1;
  va_list ap;
  va_start(ap, f);
  const char *a;
  while ((a = va_arg(ap, const char *)) != NULL && n < 63)
    argv[n++] = a;
  va_end(ap);
  argv[n] = NULL;
  char out[400], err[400];
  snprintf(out, sizeof out, "%s/out.txt", f->root);
  snprintf(err, sizeof err, "%s/err.txt", f->root);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid;
  assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ), 0);
  posix_spawn_file_actions_destroy(&fa);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0)
    assert_int_equal(errno, EINTR);
  free(f->out);
  free(f->err);
  f->out = slurp(out);
  f->err = slurp(err);
  assert_true(WIFEXITED(st));
  return WEXITSTATUS(st);
}

static void expect_in(const char *hay, const char *needle, const char *what) {
  if (hay == NULL || strstr(hay, needle) == NULL)
    print_error("%s: '%s' not in:\n%s\n", what, needle, hay ? hay : "(null)");
  assert_non_null(hay);
  assert_non_null(strstr(hay, needle));
}

static void expect_not_in(const char *hay, const char *needle, const char *what) {
  if (hay != NULL && strstr(hay, needle) != NULL)
    print_error("%s: '%s' unexpectedly in:\n%s\n", what, needle, hay);
  assert_true(hay == NULL || strstr(hay, needle) == NULL);
}

/* A failed run reports on stdout (the box's line, the summary's error);
 * a refused spec and the `skills` commands on stderr. */
static void expect_reported(const fx *f, const char *needle, const char *what) {
  if ((f->out == NULL || strstr(f->out, needle) == NULL) &&
      (f->err == NULL || strstr(f->err, needle) == NULL))
    print_error("%s: '%s' not in:\n%s\n%s\n", what, needle, f->out ? f->out : "",
                f->err ? f->err : "");
  assert_true((f->out && strstr(f->out, needle)) || (f->err && strstr(f->err, needle)));
}

static void sha(const char *text, char hex[65]) { rskill_sha256_hex(text, strlen(text), hex); }

/* `--set skills.base_url=URL` and `--set skills.cache_dir=...` values. */
typedef struct sets {
  char base[128], cache[400];
} sets;

static void sets_for(const fx *f, const char *url, sets *s) {
  snprintf(s->base, sizeof s->base, "skills.base_url=%s", url);
  snprintf(s->cache, sizeof s->cache, "skills.cache_dir=%s", f->cache);
}

static int run_spec(fx *f, const char *url, const char *extra) {
  sets s;
  sets_for(f, url, &s);
  if (extra)
    return run_cli(f, "run", "--file", f->spec, "--set", s.base, "--set", s.cache, extra, NULL);
  return run_cli(f, "run", "--file", f->spec, "--set", s.base, "--set", s.cache, NULL);
}

static int skills_cmd(fx *f, const char *url, const char *sub, const char *a1, const char *a2) {
  sets s;
  sets_for(f, url, &s);
  return run_cli(f, "skills", sub, "--spec-dir", f->spec_dir, "--set", s.base, "--set", s.cache, a1,
                 a2, NULL);
}

static fake_server *serve(const fs_response *script, size_t n) {
  fake_server *s = fs_start(script, n);
  assert_non_null(s);
  return s;
}

#define OK_MD(text) \
  { 200, "text/plain; charset=utf-8", NULL, text, NULL, 0, 0 }
#define NOT_FOUND \
  { 404, "text/plain", NULL, "404: Not Found", NULL, 0, 0 }

/* First use fetches, caches and pins; the next runs need no network. */
static void test_first_use_then_cache(void **state) {
  fx *f = *state;
  char h1[65], url[64], want[1024];
  sha(V1, h1);
  spit(f->spec, AGENT_SPEC);
  fs_response script[] = {OK_MD(V1)};
  fake_server *s = serve(script, 1);
  snprintf(url, sizeof url, "%s", fs_url(s));
  assert_int_equal(run_spec(f, url, NULL), 0);
  assert_int_equal(fs_count(s), 1);
  char *path = fs_path(s, 0);
  assert_string_equal(path, SKILL_PATH);
  free(path);
  snprintf(want, sizeof want, "remote skill '" SKILL "': fetched %s%s (sha256 %s), pinned in %s",
           url, SKILL_PATH, h1, f->lock);
  expect_in(f->err, want, "first use says it pinned");
  expect_in(f->out, "Skill said: ---", "the box read the provisioned skill");
  expect_in(f->out, "Version 1", "the skill's body");
  /* The cache and the lock. */
  char *cached = slurp(f->cached_md);
  assert_non_null(cached);
  assert_string_equal(cached, V1);
  free(cached);
  char *lock = slurp(f->lock);
  expect_in(lock, "\"voidbox_skills_lock\": 1", "lock format");
  snprintf(want, sizeof want, "\"" SKILL "\": {\"dir\":\"skills/csv-summary\"");
  expect_in(lock, want, "lock entry");
  snprintf(want, sizeof want, "\"sha256\":\"%s\",\"size\":%zu", h1, strlen(V1));
  expect_in(lock, want, "lock digest");
  expect_in(lock, "\"fetched_at\":\"20", "lock time");
  free(lock);
  /* The mock sandbox recorded the skill written at /skills/NAME/SKILL.md. */
  char rec[400];
  snprintf(rec, sizeof rec, "%s/calls.jsonl", f->spec_dir);
  char *calls = slurp(rec);
  expect_in(calls, "\"op\":\"file_write\",\"box\":\"remote\"", "a file was written");
  expect_in(calls, "\"path\":\"/skills/csv-summary/SKILL.md\"", "at the skill's place");
  expect_in(calls, "Version 1", "with the skill's content");
  free(calls);
  fs_stop(s);
  /* The server is gone: the cache matches the lock, no fetch. */
  assert_int_equal(run_spec(f, url, NULL), 0);
  expect_in(f->out, "Version 1", "second run from the cache");
  expect_not_in(f->err, "pinned", "no second pin");
  assert_int_equal(run_spec(f, url, "--offline"), 0);
  expect_in(f->out, "Version 1", "offline run from the cache");
  sets st;
  sets_for(f, url, &st);
  assert_int_equal(run_cli(f, "validate", "--file", f->spec, "--offline", "--set", st.base, "--set",
                           st.cache, NULL),
                   0);
}

/* Upstream changed: refused with both digests until `skills update`. */
static void test_changed_refused_until_update(void **state) {
  fx *f = *state;
  char h1[65], h2[65], want[1500];
  sha(V1, h1);
  sha(V2, h2);
  spit(f->spec, AGENT_SPEC);
  fs_response v1[] = {OK_MD(V1)}, v2[] = {OK_MD(V2)};
  fake_server *s = serve(v1, 1);
  assert_int_equal(run_spec(f, fs_url(s), NULL), 0);
  fs_stop(s);
  /* The cache is lost and the skill changed upstream. */
  assert_int_equal(unlink(f->cached_md), 0);
  s = serve(v2, 1);
  assert_int_equal(run_spec(f, fs_url(s), NULL), 1);
  snprintf(want, sizeof want,
           "remote skill '" SKILL "' changed: %s" SKILL_PATH
           " now has sha256 %s, but %s pins "
           "sha256 %s; if the change is expected, accept it with `voidbox skills update "
           "--spec-dir %s " SKILL "`",
           fs_url(s), h2, f->lock, h1, f->spec_dir);
  expect_reported(f, want, "the refusal names the skill, both digests and the command");
  assert_int_equal(access(f->cached_md, F_OK), -1); /* the changed file was not cached */
  char *lock = slurp(f->lock);
  expect_in(lock, h1, "the lock still pins the old digest");
  free(lock);
  fs_stop(s);
  /* `skills add` checks against the lock: refused too. */
  s = serve(v2, 1);
  assert_int_equal(skills_cmd(f, fs_url(s), "add", SKILL, NULL), 1);
  expect_in(f->err, "changed", "add refuses a changed skill");
  fs_stop(s);
  /* `skills update` accepts it. */
  s = serve(v2, 1);
  assert_int_equal(skills_cmd(f, fs_url(s), "update", SKILL, NULL), 0);
  snprintf(want, sizeof want, SKILL "  sha256 %s  updated", h2);
  expect_in(f->out, want, "update's line");
  snprintf(want, sizeof want, "sha256 %s -> %s", h1, h2);
  expect_in(f->err, want, "update's note");
  lock = slurp(f->lock);
  expect_in(lock, h2, "the lock pins the new digest");
  expect_not_in(lock, h1, "and not the old");
  free(lock);
  char url[64];
  snprintf(url, sizeof url, "%s", fs_url(s));
  fs_stop(s);
  assert_int_equal(run_spec(f, url, NULL), 0);
  expect_in(f->out, "Version 2", "the run uses the accepted version");
}

/* --offline never fetches: an empty cache is an error that says so. */
static void test_offline_empty_cache(void **state) {
  fx *f = *state;
  spit(f->spec, AGENT_SPEC);
  sets s;
  sets_for(f, "http://127.0.0.1:9", &s);
  assert_int_equal(run_cli(f, "validate", "--file", f->spec, "--offline", "--set", s.base, "--set",
                           s.cache, NULL),
                   2);
  expect_in(f->err, "remote.yaml:14:12: ", "positioned at the skill");
  expect_in(f->err, "remote skill '" SKILL "' is not in the cache (",
            "names the skill and the cache");
  expect_in(f->err, "and the network is off (--offline)", "says why");
  assert_int_equal(run_spec(f, "http://127.0.0.1:9", "--offline"), 2);
  expect_in(f->err, "is not in the cache", "run --offline refuses too");
  assert_int_equal(access(f->lock, F_OK), -1);
  /* Without --offline, validate does not need the cache (a run fetches). */
  assert_int_equal(
      run_cli(f, "validate", "--file", f->spec, "--set", s.base, "--set", s.cache, NULL), 0);
}

static void expect_invalid(fx *f, const char *skills, const char *base, const char *pos,
                           const char *needle) {
  char spec[2048];
  snprintf(spec, sizeof spec,
           "api_version: v1\nkind: agent\nname: remote\nsandbox: {backend: mock}\n"
           "llm: {provider: mock, turns: [{text: hi}]}\nagent:\n  prompt: x\n  skills: %s\n",
           skills);
  spit(f->spec, spec);
  sets s;
  sets_for(f, base, &s);
  assert_int_equal(
      run_cli(f, "validate", "--file", f->spec, "--set", s.base, "--set", s.cache, NULL), 2);
  expect_in(f->err, pos, "position");
  expect_in(f->err, needle, "message");
}

/* Addresses and base URLs are checked before anything is fetched. */
static void test_bad_addresses_and_bases(void **state) {
  fx *f = *state;
  const char *lo = "http://127.0.0.1:9";
  expect_invalid(f, "[\"remote:acme/tools\"]", lo, "remote.yaml:8:12: ",
                 "remote skill address 'acme/tools': expected OWNER/REPO@SKILL or "
                 "OWNER/REPO/SKILL (no skill named)");
  expect_invalid(f, "[\"remote:acme/../x@y\"]", lo, "remote.yaml:8:12: ", "no deeper path");
  expect_invalid(f, "[\"remote:acme/..@y\"]", lo,
                 "remote.yaml:8:12: ", "the repository may not be '.' or contain '..'");
  expect_invalid(f, "[\"remote:acme/tools@CSV\"]", lo,
                 "remote.yaml:8:12: ", "the skill name 'CSV' must be 1 to 64 of a-z, 0-9 and '-'");
  expect_invalid(f, "[\"remote:\"]", lo, "remote.yaml:8:12: ", "a remote skill needs an address");
  expect_invalid(f, "\n    - {type: remote, value: \"" SKILL "\", pin: abc}", lo,
                 "remote.yaml:9:", "takes no option");
  /* Plain http only to loopback; nothing is fetched to find out. */
  expect_invalid(f, "[\"remote:" SKILL "\"]", "http://example.com", "remote.yaml:8:12: ",
                 "the remote skills base URL 'http://example.com' is plain http to a host that is "
                 "not loopback; use https://");
  expect_invalid(f, "[\"remote:" SKILL "\"]", "ftp://127.0.0.1",
                 "remote.yaml:8:12: ", "must start with https://");
  /* The same through `voidbox skills add`. */
  assert_int_equal(skills_cmd(f, lo, "add", "acme/tools", NULL), 2);
  expect_in(f->err, "voidbox: skills add: remote skill address 'acme/tools'", "add's address");
  assert_int_equal(skills_cmd(f, "http://10.1.2.3", "add", SKILL, NULL), 2);
  expect_in(f->err, "not loopback", "add's base");
}

/* A body over the SKILL.md bound is refused, nothing cached or pinned. */
static void test_oversize_body(void **state) {
  fx *f = *state;
  spit(f->spec, AGENT_SPEC);
  fs_response script[] = {{200, "text/plain", NULL, "---\n", NULL, 300 * 1024, 0}};
  fake_server *s = serve(script, 1);
  char want[300];
  snprintf(want, sizeof want,
           "remote skill '" SKILL "': GET %s" SKILL_PATH
           ": the body is over 262144 bytes, the limit on a SKILL.md",
           fs_url(s));
  assert_int_equal(run_spec(f, fs_url(s), NULL), 1);
  expect_reported(f, want, "oversize refused");
  assert_int_equal(access(f->cached_md, F_OK), -1);
  assert_int_equal(access(f->lock, F_OK), -1);
  fs_stop(s);
}

/* Every searched place 404: one error naming the first URL and the rest. */
static void test_not_found(void **state) {
  fx *f = *state;
  spit(f->spec, AGENT_SPEC);
  fs_response script[8];
  for (size_t i = 0; i < 8; i++)
    script[i] = (fs_response)NOT_FOUND;
  fake_server *s = serve(script, 8);
  char want[600];
  snprintf(want, sizeof want,
           "remote skill '" SKILL "': no SKILL.md for it: GET %s" SKILL_PATH
           " answered HTTP 404 (not found), and so did the other places searched in acme/tools "
           "(csv-summary, skills/.curated/csv-summary, skills/.experimental/csv-summary, "
           "skills/.system/csv-summary, .agents/skills/csv-summary, .claude/skills/csv-summary, "
           "the root)",
           fs_url(s));
  assert_int_equal(run_spec(f, fs_url(s), NULL), 1);
  expect_reported(f, want, "404 names the URL");
  assert_int_equal(fs_count(s), 8);
  const char *paths[] = {SKILL_PATH,
                         "/acme/tools/HEAD/csv-summary/SKILL.md",
                         "/acme/tools/HEAD/skills/.curated/csv-summary/SKILL.md",
                         "/acme/tools/HEAD/skills/.experimental/csv-summary/SKILL.md",
                         "/acme/tools/HEAD/skills/.system/csv-summary/SKILL.md",
                         "/acme/tools/HEAD/.agents/skills/csv-summary/SKILL.md",
                         "/acme/tools/HEAD/.claude/skills/csv-summary/SKILL.md",
                         "/acme/tools/HEAD/SKILL.md"};
  for (size_t i = 0; i < 8; i++) {
    char *p = fs_path(s, i);
    assert_string_equal(p, paths[i]);
    free(p);
  }
  fs_stop(s);
  /* Another status stops the search at once, naming it. */
  fs_response forbidden[] = {{403, "text/plain", NULL, "rate limited", NULL, 0, 0}};
  s = serve(forbidden, 1);
  assert_int_equal(skills_cmd(f, fs_url(s), "add", SKILL, NULL), 1);
  expect_in(f->err, "answered HTTP 403 (refused or rate-limited; try again later)", "403");
  fs_stop(s);
}

/* The search goes on past a 404; the lock pins where the skill was found
 * and a bad SKILL.md is refused with its position. */
static void test_search_and_bad_skill_md(void **state) {
  fx *f = *state;
  fs_response script[] = {NOT_FOUND, OK_MD(V1)};
  fake_server *s = serve(script, 2);
  assert_int_equal(skills_cmd(f, fs_url(s), "add", SKILL, NULL), 0);
  expect_in(f->out, SKILL "  sha256 ", "add's line");
  expect_in(f->out, "  pinned  (", "pinned");
  char *p = fs_path(s, 1);
  assert_string_equal(p, "/acme/tools/HEAD/csv-summary/SKILL.md");
  free(p);
  char *lock = slurp(f->lock);
  expect_in(lock, "{\"dir\":\"csv-summary\"", "the place found is pinned");
  free(lock);
  fs_stop(s);
  /* Pinned: a later fetch asks that place only. */
  assert_int_equal(unlink(f->cached_md), 0);
  fs_response again[] = {OK_MD(V1)};
  s = serve(again, 1);
  assert_int_equal(skills_cmd(f, fs_url(s), "add", SKILL, NULL), 0);
  expect_in(f->out, "up to date", "same digest");
  p = fs_path(s, 0);
  assert_string_equal(p, "/acme/tools/HEAD/csv-summary/SKILL.md");
  free(p);
  fs_stop(s);
  /* A SKILL.md whose name is another skill's. */
  fs_response wrong[] = {OK_MD(OTHER)};
  s = serve(wrong, 1);
  assert_int_equal(skills_cmd(f, fs_url(s), "add", "acme/tools@third", NULL), 1);
  expect_in(f->err, "skills/third/SKILL.md:2:7: front matter `name` 'other-skill' must equal",
            "name mismatch positioned");
  fs_stop(s);
  fs_response junk[] = {OK_MD("no front matter\n")};
  s = serve(junk, 1);
  assert_int_equal(skills_cmd(f, fs_url(s), "add", "acme/tools@fourth", NULL), 1);
  expect_in(f->err, "skills/fourth/SKILL.md:1:1: a SKILL.md starts with front matter",
            "not a SKILL.md");
  fs_stop(s);
}

/* Two boxes of one fan_out use the same remote skill at once: one fetch,
 * one lock entry, both provisioned. */
static void test_fan_out_fetches_once(void **state) {
  fx *f = *state;
  spit(f->spec,
       "api_version: v1\nkind: pipeline\nname: fan\n"
       "sandbox: {backend: mock, record: calls.jsonl}\n"
       "llm: {provider: mock, turns: [{text: done}]}\n"
       "pipeline:\n  boxes:\n"
       "    - {name: a, prompt: x, skills: [\"remote:" SKILL
       "\"]}\n"
       "    - {name: b, prompt: y, skills: [\"remote:" SKILL
       "\"]}\n"
       "    - {name: c, prompt: z, skills: [\"remote:" SKILL
       "\"]}\n"
       "  stages:\n    - fan_out: [a, b, c]\n");
  fs_response script[] = {OK_MD(V1)};
  fake_server *s = serve(script, 1); /* a second fetch would get a 500 */
  assert_int_equal(run_spec(f, fs_url(s), NULL), 0);
  assert_int_equal(fs_count(s), 1);
  fs_stop(s);
  char rec[400];
  snprintf(rec, sizeof rec, "%s/calls.jsonl", f->spec_dir);
  char *calls = slurp(rec);
  size_t n = 0;
  for (const char *q = calls; (q = strstr(q, "\"path\":\"/skills/csv-summary/SKILL.md\"")); q++)
    n++;
  assert_int_equal(n, 3);
  free(calls);
  char *lock = slurp(f->lock);
  const char *first = strstr(lock, "\"" SKILL "\"");
  assert_non_null(first);
  assert_null(strstr(first + 1, "\"" SKILL "\""));
  free(lock);
}

/* The lock keeps every entry; list shows lock and cache; update with no
 * address refreshes every entry. */
static void test_list_and_update_all(void **state) {
  fx *f = *state;
  char h1[65], ho[65], want[400];
  sha(V1, h1);
  sha(OTHER, ho);
  fs_response one[] = {OK_MD(OTHER)}, two[] = {OK_MD(V1)};
  fake_server *s = serve(one, 1);
  assert_int_equal(skills_cmd(f, fs_url(s), "add", "acme/tools@other-skill", NULL), 0);
  fs_stop(s);
  s = serve(two, 1);
  assert_int_equal(skills_cmd(f, fs_url(s), "add", SKILL, NULL), 0);
  fs_stop(s);
  char *lock = slurp(f->lock);
  const char *a = strstr(lock, "\"" SKILL "\""), *b = strstr(lock, "\"acme/tools@other-skill\"");
  assert_non_null(a);
  assert_non_null(b);
  assert_true(a < b); /* sorted */
  free(lock);
  assert_int_equal(skills_cmd(f, "http://127.0.0.1:9", "list", NULL, NULL), 0);
  snprintf(want, sizeof want, "lock %s: 2 remote skills", f->lock);
  expect_in(f->out, want, "list's lock line");
  snprintf(want, sizeof want, "  %-40s sha256 %s  cache: ok", SKILL, h1);
  expect_in(f->out, want, "list's entry");
  snprintf(want, sizeof want, "  %-40s sha256 %s  fetched 20", "acme/tools@other-skill", ho);
  expect_in(f->out, want, "list's cache entry");
  expect_in(f->out, "  (2 skills)", "cache count");
  /* The cache edited by hand: list says so, a run refuses it offline. */
  spit(f->cached_md, V2);
  assert_int_equal(skills_cmd(f, "http://127.0.0.1:9", "list", NULL, NULL), 0);
  char h2[65];
  sha(V2, h2);
  snprintf(want, sizeof want, "cache: DIFFERS, holds sha256 %s", h2);
  expect_in(f->out, want, "list shows the difference");
  spit(f->spec, AGENT_SPEC);
  assert_int_equal(run_spec(f, "http://127.0.0.1:9", "--offline"), 2); /* refused by the check */
  snprintf(want, sizeof want, "holds sha256 %s, but the lock pins sha256 %s", h2, h1);
  expect_in(f->err, want, "offline run with a changed cache");
  /* update with no address: every entry, in the lock's order. */
  fs_response both[] = {OK_MD(V1), OK_MD(OTHER)};
  s = serve(both, 2);
  assert_int_equal(skills_cmd(f, fs_url(s), "update", NULL, NULL), 0);
  assert_int_equal(fs_count(s), 2);
  expect_in(f->out, SKILL "  sha256 ", "first entry");
  expect_in(f->out, "acme/tools@other-skill  sha256 ", "second entry");
  fs_stop(s);
  char *cached = slurp(f->cached_md);
  assert_string_equal(cached, V1); /* the cache was put right */
  free(cached);
}

/* A broken lockfile is an error naming it; usage errors of `skills`. */
static void test_lock_and_usage_errors(void **state) {
  fx *f = *state;
  spit(f->spec, AGENT_SPEC);
  spit(f->lock, "{\"voidbox_skills_lock\": 1, \"skills\": {");
  sets s;
  sets_for(f, "http://127.0.0.1:9", &s);
  assert_int_equal(
      run_cli(f, "validate", "--file", f->spec, "--set", s.base, "--set", s.cache, NULL), 2);
  expect_in(f->err, "voidbox-skills.lock: not valid JSON", "bad JSON");
  spit(f->lock, "{\"voidbox_skills_lock\": 9, \"skills\": {}}");
  assert_int_equal(
      run_cli(f, "validate", "--file", f->spec, "--set", s.base, "--set", s.cache, NULL), 2);
  expect_in(f->err, "lockfile format 9 was written by a newer voidbox", "newer format");
  spit(f->lock, "{\"voidbox_skills_lock\": 1, \"skills\": {\"" SKILL "\": {\"dir\": \"x\"}}}");
  assert_int_equal(skills_cmd(f, "http://127.0.0.1:9", "list", NULL, NULL), 1);
  expect_in(f->err, "entry '" SKILL "': 'files' must map \"SKILL.md\" to {url, sha256, size}",
            "bad entry");
  /* A pin whose dir is not a place searched is refused before any request. */
  char h1[65], lock[1024];
  sha(V1, h1);
  snprintf(lock, sizeof lock,
           "{\"voidbox_skills_lock\": 1, \"skills\": {\"" SKILL
           "\": {\"dir\": \"docs\", "
           "\"files\": {\"SKILL.md\": {\"url\": \"u\", \"sha256\": \"%s\", \"size\": 1}}, "
           "\"fetched_at\": \"t\"}}}",
           h1);
  spit(f->lock, lock);
  assert_int_equal(run_spec(f, "http://127.0.0.1:9", NULL), 1);
  expect_reported(f, "the lock pins it in 'docs', which is not a place voidbox looks for it",
                  "a pin elsewhere");
  assert_int_equal(run_cli(f, "skills", NULL), 2);
  expect_in(f->err, "usage: voidbox skills list", "no subcommand");
  assert_int_equal(run_cli(f, "skills", "--help", NULL), 0);
  expect_in(f->out, "voidbox skills update [ADDRESS...]", "help");
  assert_int_equal(run_cli(f, "skills", "lst", NULL), 2);
  expect_in(f->err, "unknown subcommand 'lst' (did you mean 'list'?)", "hint");
  assert_int_equal(run_cli(f, "skills", "add", NULL), 2);
  expect_in(f->err, "name at least one ADDRESS", "add without address");
  assert_int_equal(run_cli(f, "skills", "list", "--spec-dri", "x", NULL), 2);
  expect_in(f->err, "unknown option '--spec-dri' (did you mean '--spec-dir'?)", "option hint");
  assert_int_equal(run_cli(f, "skills", "add", "--set", "skills.offline=1", SKILL, NULL), 2);
  expect_in(f->err, "--set takes skills.base_url=URL or skills.cache_dir=DIR", "--set keys");
}

/* examples/remote_skills: runs offline from its shipped cache writing
 * nothing there, and from a server serving its site/; both copies of the
 * skill are the file its lock pins. */
static void test_example(void **state) {
  fx *f = *state;
  const char *ex = VBX_TEST_SOURCE_DIR "/examples/remote_skills";
  char spec[512], cache[512], site[512], cached[512], lockp[512], want[200], h[65];
  snprintf(spec, sizeof spec, "%s/remote_skills.yaml", ex);
  snprintf(cache, sizeof cache, "skills.cache_dir=%s/cache", ex);
  snprintf(site, sizeof site, "%s/site/voidbox-examples/skills/HEAD/skills/csv-summary/SKILL.md",
           ex);
  snprintf(cached, sizeof cached, "%s/cache/voidbox-examples/skills/csv-summary/SKILL.md", ex);
  snprintf(lockp, sizeof lockp, "%s/voidbox-skills.lock", ex);
  char *served = slurp(site), *kept = slurp(cached), *lock = slurp(lockp);
  assert_non_null(served);
  assert_non_null(kept);
  assert_string_equal(served, kept);
  sha(served, h);
  snprintf(want, sizeof want, "\"sha256\":\"%s\"", h);
  expect_in(lock, want, "the shipped lock pins the shipped skill");
  char listing[600];
  snprintf(listing, sizeof listing, "find '%s' | sort > '%s/before'", ex, f->root);
  assert_int_equal(system(listing), 0);
  assert_int_equal(run_cli(f, "run", "--file", spec, "--offline", "--set", cache, NULL), 0);
  expect_in(f->out, "close min=187.20 max=880.10 mean=493.03", "the example's answer");
  expect_in(f->out, "| name: csv-summary", "the skill was read in the box");
  snprintf(listing, sizeof listing, "find '%s' | sort | cmp -s - '%s/before'", ex, f->root);
  assert_int_equal(system(listing), 0); /* nothing written to the example */
  /* Fetched from a server: verified against the shipped lock, which stays. */
  fs_response script[] = {OK_MD(served)};
  fake_server *srv = serve(script, 1);
  sets st;
  sets_for(f, fs_url(srv), &st);
  assert_int_equal(run_cli(f, "run", "--file", spec, "--set", st.base, "--set", st.cache, NULL), 0);
  assert_int_equal(fs_count(srv), 1);
  char *p = fs_path(srv, 0);
  assert_string_equal(p, "/voidbox-examples/skills/HEAD/skills/csv-summary/SKILL.md");
  free(p);
  fs_stop(srv);
  char *after = slurp(lockp);
  assert_string_equal(after, lock);
  free(after);
  free(served);
  free(kept);
  free(lock);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_first_use_then_cache, setup, teardown),
      cmocka_unit_test_setup_teardown(test_changed_refused_until_update, setup, teardown),
      cmocka_unit_test_setup_teardown(test_offline_empty_cache, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_addresses_and_bases, setup, teardown),
      cmocka_unit_test_setup_teardown(test_oversize_body, setup, teardown),
      cmocka_unit_test_setup_teardown(test_not_found, setup, teardown),
      cmocka_unit_test_setup_teardown(test_search_and_bad_skill_md, setup, teardown),
      cmocka_unit_test_setup_teardown(test_fan_out_fetches_once, setup, teardown),
      cmocka_unit_test_setup_teardown(test_list_and_update_all, setup, teardown),
      cmocka_unit_test_setup_teardown(test_lock_and_usage_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_example, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
