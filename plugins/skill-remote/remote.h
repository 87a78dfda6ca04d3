/*
 * skill-remote/remote.h - remote skills: an address in the skills.sh form
 * (`OWNER/REPO@SKILL`, or `OWNER/REPO/SKILL`) turned into a skill directory
 * in the user's cache, fetched over HTTPS from a configurable base and
 * pinned by sha256 in a lockfile beside the spec (docs/skills.md, "remote").
 *
 * Shared by the `remote` skill type (plugin.c) and `voidbox skills`
 * (core/cli/cmd_skills.c): both talk to the host only through a
 * vbx_host_services table (its HTTP client, JSON values, allocator and
 * error slot), the plugin's own, the CLI's the host's.
 *
 *   URL layout  BASE/OWNER/REPO/HEAD/DIR/SKILL.md, DIR tried in the order
 *               of rskill_search_dirs (the skills CLI's priority list, cut
 *               short) unless the lock pins it; only SKILL.md is fetched.
 *   cache       CACHE/OWNER/REPO/SKILL/SKILL.md (+ .voidbox-source.json),
 *               CACHE = skills.cache_dir, else $XDG_CACHE_HOME/voidbox/
 *               skills, else ~/.cache/voidbox/skills; an flock on the
 *               directory CACHE/OWNER/REPO serialises every reader and
 *               writer of its skills, files are replaced by rename.
 *   lockfile    LOCK_DIR/voidbox-skills.lock, JSON, one line per address;
 *               rewritten whole (temp + rename) under an flock on LOCK_DIR.
 *
 * Errors: every function returning int returns 0 or a negative VBX_E_*
 * code with the message set on env->call (host->set_error, field NULL: the
 * host points at the skill's declaration).
 *
 * Threads: no global state; concurrent calls (threads or processes) on the
 * same repository's skills or the same lockfile are serialised by the
 * flocks.
 */
#ifndef VBX_SKILL_REMOTE_H
#define VBX_SKILL_REMOTE_H

#include <stddef.h>
#include <stdint.h>

#include "skill_pkg.h"
#include "voidbox/plugin.h"

#define RSKILL_OWNER_MAX 39 /* GitHub's limit on user and organisation names */
#define RSKILL_REPO_MAX 100 /* and on repository names */
#define RSKILL_KEY_MAX (RSKILL_OWNER_MAX + 1 + RSKILL_REPO_MAX + 1 + SKILL_NAME_MAX)
#define RSKILL_URL_MAX 2048 /* a base URL and what is built on it */
#define RSKILL_DIR_MAX (sizeof ".claude/skills/" + SKILL_NAME_MAX)
#define RSKILL_LOCK_NAME "voidbox-skills.lock"
#define RSKILL_SOURCE_NAME ".voidbox-source.json"
#define RSKILL_DEFAULT_BASE "https://raw.githubusercontent.com"
#define RSKILL_REF "HEAD" /* the repository's default branch, on raw.githubusercontent.com */
#define RSKILL_LOCK_MAX (4u * 1024u * 1024u) /* bound on reading a lockfile */

/* A checked address. */
typedef struct rskill_addr {
  char owner[RSKILL_OWNER_MAX + 1];
  char repo[RSKILL_REPO_MAX + 1];
  char skill[SKILL_NAME_MAX + 1];
  char key[RSKILL_KEY_MAX + 1]; /* canonical "OWNER/REPO@SKILL": the lockfile's key */
} rskill_addr;

/* rskill_addr_parse - check `text`: OWNER/REPO@SKILL or OWNER/REPO/SKILL.
 * OWNER is 1..39 of [A-Za-z0-9-], not starting with '-'; REPO 1..100 of
 * [A-Za-z0-9._-], never "." or containing ".."; SKILL an Agent Skills name
 * (skill_md_valid_name). No other character anywhere (no spaces, no
 * scheme, no query). Returns 0 with *out filled, or VBX_E_INVAL with a
 * message saying which part is wrong in msg (*out zeroed). Pure. */
int rskill_addr_parse(const char *text, rskill_addr *out, char *msg, size_t msg_len);

/* rskill_base_check - check a base URL: https://HOST[:PORT][/PATH], or
 * http:// only to a loopback host (127.0.0.0/8, [::1], localhost); no
 * user info, query or fragment; printable ASCII without spaces, quotes or
 * backslashes; at most RSKILL_URL_MAX / 2 bytes. Writes it without trailing
 * slashes into out[out_len]. Returns 0, or VBX_E_INVAL with the reason in
 * msg. Pure. */
int rskill_base_check(const char *url, char *out, size_t out_len, char *msg, size_t msg_len);

/* The directories searched in a repository for SKILL `%s`, in order
 * (printf formats with one %s; "." is the repository root, which must hold
 * the skill itself), NULL-terminated. */
extern const char *const rskill_search_dirs[];

/* Where a call looks and what it may do. Borrowed for the call. */
typedef struct rskill_env {
  const vbx_host_services *h;
  vbx_call *call;       /* errors go here */
  const char *base;     /* checked by rskill_base_check */
  const char *cache;    /* the cache root (need not exist) */
  const char *lock_dir; /* the directory of voidbox-skills.lock */
  int offline;          /* never use the network */
  /* What changed on disk (a lock entry written), one line; NULL: host->log
   * at WARN. */
  void (*note)(void *user, const char *line);
  void *note_user;
} rskill_env;

/* What rskill_ensure does. */
typedef enum rskill_mode {
  RSKILL_CHECK = 0, /* nothing written, no network: the lockfile parses;
                        offline, the cache must hold what the lock pins */
  RSKILL_USE = 1,   /* a run: the cache when it matches the lock, else fetch
                        and verify; first use fetches and pins */
  RSKILL_ADD = 2,   /* `voidbox skills add`: always fetch; verify against the
                        lock, or pin on first use */
  RSKILL_UPDATE = 3 /* `voidbox skills update`: fetch (searching again) and
                        pin whatever is there now */
} rskill_mode;

/* What rskill_ensure found. */
typedef struct rskill_result {
  char sha256[65];     /* SKILL.md's digest now in the cache ("" for CHECK) */
  char old_sha256[65]; /* the lock's digest before (UPDATE, ADD), "" when none */
  char url[RSKILL_URL_MAX];
  int fetched; /* the network was used */
  int pinned;  /* the lock entry was written */
} rskill_result;

/* rskill_ensure - bring skill `a` into the cache as `mode` says, and when
 * pkg is not NULL load the cached directory into *pkg (skill_pkg_load,
 * checked against the pinned digest, under the cache's flock). Offline,
 * nothing is fetched: a cache that is missing or differs from the lock is
 * an error saying so. A fetched SKILL.md whose digest differs from the lock
 * is an error naming the skill, both digests and `voidbox skills update`.
 * Returns 0 with *res filled, or an error set on e->call (*pkg cleared). */
int rskill_ensure(const rskill_env *e, const rskill_addr *a, rskill_mode mode, skill_pkg *pkg,
                  rskill_result *res);

/* ---- the pieces rskill_ensure is made of (cache.c, lock.c, fetch.c) ---- */

/* One pinned skill: a lockfile entry. */
typedef struct rskill_pin {
  char dir[RSKILL_DIR_MAX]; /* where in the repository: "skills/pdf", "." */
  char url[RSKILL_URL_MAX]; /* SKILL.md's URL when it was fetched */
  char sha256[65];          /* SKILL.md's digest, lower-case hex */
  uint64_t size;            /* its length */
  char fetched_at[32];      /* UTC, "2026-12-08T10:00:00Z" */
} rskill_pin;

/* rskill_pin_json - *pin as a lockfile entry, {"dir", "files": {"SKILL.md":
 * {"url", "sha256", "size"}}, "fetched_at"}: a new reference, NULL when
 * out of memory. */
vbx_json *rskill_pin_json(const vbx_host_services *h, const rskill_pin *pin);
/* rskill_pin_parse - such an entry into *pin; VBX_E_INVAL (set, naming
 * `where`) when a member is missing or of the wrong shape. */
int rskill_pin_parse(const rskill_env *e, const vbx_json *obj, const char *where, rskill_pin *pin);

/* rskill_lock_path - LOCK_DIR/voidbox-skills.lock into out. 0 or
 * VBX_E_TOOBIG (set). */
int rskill_lock_path(const rskill_env *e, char *out, size_t n);
/* rskill_lock_read - the lockfile parsed (*doc a new reference, NULL when
 * the file does not exist), its entries' shapes checked. */
int rskill_lock_read(const rskill_env *e, vbx_json **doc);
/* rskill_lock_entry - entry `key` of a read lockfile (doc may be NULL)
 * into *pin; *found 0 when absent. */
int rskill_lock_entry(const rskill_env *e, const vbx_json *doc, const char *key, rskill_pin *pin,
                      int *found);
/* rskill_lock_put - set entry `key` to *pin and rewrite the lockfile
 * (temp + rename) under an flock on LOCK_DIR, keeping every other entry as
 * it is on disk at that moment. */
int rskill_lock_put(const rskill_env *e, const char *key, const rskill_pin *pin);

/* rskill_cache_dir - CACHE/OWNER/REPO/SKILL into out. 0 or VBX_E_TOOBIG. */
int rskill_cache_dir(const rskill_env *e, const rskill_addr *a, char *out, size_t n);
/* rskill_cache_lock - create CACHE/OWNER/REPO and take an flock on that
 * directory (creating no file), waiting while another holder has it (the
 * call's cancellation and deadline still apply). *fd is the lock;
 * rskill_cache_unlock releases it. */
int rskill_cache_lock(const rskill_env *e, const rskill_addr *a, int *fd);
void rskill_cache_unlock(int fd);
/* rskill_cache_digest - SKILL.md's digest in the cache into hex, and its
 * source (the .voidbox-source.json entry, zeroed when absent) into *src
 * (may be NULL); *present 0 when there is no cached SKILL.md. */
int rskill_cache_digest(const rskill_env *e, const rskill_addr *a, char hex[65], rskill_pin *src,
                        int *present);
/* rskill_cache_store - write SKILL.md (data, len) and its source record
 * into the cache, each file replaced atomically. Hold the cache's flock. */
int rskill_cache_store(const rskill_env *e, const rskill_addr *a, const char *data, size_t len,
                       const rskill_pin *src);

/* A fetched SKILL.md. */
typedef struct rskill_fetched {
  char *data; /* malloc'd, NUL-terminated */
  size_t len;
  rskill_pin pin; /* dir, url, sha256, size, fetched_at */
} rskill_fetched;

/* rskill_fetch - GET SKILL.md for `a`: from `dir` when not NULL (a lock's
 * pin, which must be one of the places searched: anything else is refused
 * before any request), else from each of rskill_search_dirs in turn while
 * the answer is 404. The body is bounded (SKILL_MD_MAX_BYTES) and checked as a SKILL.md
 * whose name is a->skill. Refused offline. out->data freed with free(). */
int rskill_fetch(const rskill_env *e, const rskill_addr *a, const char *dir, rskill_fetched *out);

/* ---- files (fsio.c): each returns 0 or a VBX_E_* code with the reason,
 * naming the path, in msg ---- */

/* rskill_read_file - the regular file `path` (not followed if a symbolic
 * link) of at most `max` bytes into *out (malloc'd, NUL-terminated, *len
 * bytes). VBX_E_NOTFOUND when it does not exist, VBX_E_TOOBIG over max,
 * VBX_E_IO otherwise. */
int rskill_read_file(const char *path, size_t max, char **out, size_t *len, char *msg,
                     size_t msg_len);
/* rskill_write_atomic - replace DIR/NAME with data, mode 0644: written to
 * DIR/.NAME.XXXXXX (created with O_EXCL), synced, renamed over NAME; the
 * temp file is removed on failure. Readers see the old file or the new,
 * never a part. */
int rskill_write_atomic(const char *dir, const char *name, const void *data, size_t len, char *msg,
                        size_t msg_len);
/* rskill_mkdirs - create `path` and its missing parents (0755). */
int rskill_mkdirs(const char *path, char *msg, size_t msg_len);
/* rskill_flock - take an exclusive flock on fd, polling while another
 * holder has it; 0, or VBX_E_CANCELLED / VBX_E_TIMEOUT when the call is
 * stopped meanwhile (set on the call, naming `what`), VBX_E_IO (set). */
int rskill_flock(const rskill_env *e, int fd, const char *what);

/* rskill_sha256_hex - lower-case hex digest of data. */
void rskill_sha256_hex(const void *data, size_t len, char hex[65]);
/* rskill_utc_now - the host's clock as "YYYY-MM-DDTHH:MM:SSZ". */
void rskill_utc_now(const vbx_host_services *h, char out[32]);

#endif
