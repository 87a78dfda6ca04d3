/*
 * sandbox-mock/shell.c - what a mock command "does": scripted commands
 * matched with fnmatch over the command line, a few built-ins working on
 * the in-memory file system (echo, cat, ls, pwd, mkdir, true, false), and
 * `bash -c` / `sh -c` whose string is matched again and, failing that, split
 * into simple commands joined by `;`, `&&`, `||` with `>`/`>>` redirection.
 * Everything else exits 127.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"

#define MAX_WORDS 256

typedef struct ctx {
  mock_sandbox *sb;
  const char *cwd;
  const char *stdin_data;
  size_t stdin_len;
  mock_outcome *oc;
} ctx;

static int run_string(ctx *c, const char *cmd, int depth);

static const mock_command *find_script(const mock_sandbox *sb, const char *line) {
  for (size_t i = 0; i < sb->opt.n_commands; i++)
    if (fnmatch(sb->opt.commands[i].match, line, 0) == 0) return &sb->opt.commands[i];
  return NULL;
}

static char *join_words(const char *const *argv) {
  size_t n = 1;
  for (size_t i = 0; argv[i] != NULL; i++)
    n += strlen(argv[i]) + 1;
  char *s = malloc(n);
  if (s == NULL) return NULL;
  s[0] = '\0';
  for (size_t i = 0; argv[i] != NULL; i++) {
    if (i > 0) strcat(s, " ");
    strcat(s, argv[i]);
  }
  return s;
}

static void apply_script(mock_outcome *oc, const mock_command *cmd) {
  if (cmd->out != NULL) vbx__strbuf_puts(&oc->out, cmd->out);
  if (cmd->err != NULL) vbx__strbuf_puts(&oc->err, cmd->err);
  oc->exit_code = cmd->exit_code;
  oc->delay_ms += cmd->delay_ms;
  oc->scripted = 1;
}

static int builtin_cat(ctx *c, const char *const *argv, vbx__strbuf *out) {
  int code = 0;
  if (argv[1] == NULL) {
    vbx__strbuf_append(out, c->stdin_data, c->stdin_data ? c->stdin_len : 0);
    return 0;
  }
  for (size_t i = 1; argv[i] != NULL; i++) {
    char *p = mock_path_norm(c->cwd, argv[i]);
    mock_file *f = p ? mock_fs_find(&c->sb->fs, p) : NULL;
    if (f != NULL) {
      vbx__strbuf_append(out, f->data, f->len);
    } else {
      int dir = p != NULL && mock_fs_is_dir(&c->sb->fs, p);
      vbx__strbuf_puts(&c->oc->err, "cat: ");
      vbx__strbuf_puts(&c->oc->err, argv[i]);
      vbx__strbuf_puts(&c->oc->err, dir ? ": Is a directory\n" : ": No such file or directory\n");
      code = 1;
    }
    free(p);
  }
  return code;
}

static int builtin_ls(ctx *c, const char *const *argv, vbx__strbuf *out) {
  int code = 0, any = 0;
  for (size_t i = 1; argv[i] != NULL; i++) {
    if (argv[i][0] == '-') continue; /* flags are accepted and ignored */
    any = 1;
    char *p = mock_path_norm(c->cwd, argv[i]);
    if (p != NULL && mock_fs_find(&c->sb->fs, p) != NULL) {
      vbx__strbuf_puts(out, argv[i]);
      vbx__strbuf_puts(out, "\n");
    } else if (p != NULL && mock_fs_is_dir(&c->sb->fs, p)) {
      mock_fs_list(&c->sb->fs, p, out);
    } else {
      vbx__strbuf_puts(&c->oc->err, "ls: cannot access '");
      vbx__strbuf_puts(&c->oc->err, argv[i]);
      vbx__strbuf_puts(&c->oc->err, "': No such file or directory\n");
      code = 2;
    }
    free(p);
  }
  if (!any) {
    char *p = mock_path_norm(c->cwd, ".");
    if (p != NULL) mock_fs_list(&c->sb->fs, p, out);
    free(p);
  }
  return code;
}

/* The command string of `sh [-opts] -c STRING` (options such as -l, -e,
 * or combined like -lc, before the string), or NULL. */
static const char *shell_c_arg(const char *const *argv) {
  for (size_t i = 1; argv[i] != NULL && argv[i][0] == '-' && argv[i][1] != '-'; i++)
    if (strchr(argv[i], 'c') != NULL) return argv[i + 1];
  return NULL;
}

/* Run one argv: scripts, then `sh -c`, then built-ins. Output to `out`.
 * (The output of a nested `sh -c` goes to the exec's stdout.) */
static int run_argv(ctx *c, const char *const *argv, vbx__strbuf *out, int depth) {
  if (argv[0] == NULL) return 0;
  char *line = join_words(argv);
  if (line == NULL) return VBX_E_NOMEM;
  int rc = 0;
  const char *inner = NULL;
  const mock_command *cmd = find_script(c->sb, line);
  const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
  if (cmd != NULL) {
    if (cmd->out != NULL) vbx__strbuf_puts(out, cmd->out);
    if (cmd->err != NULL) vbx__strbuf_puts(&c->oc->err, cmd->err);
    c->oc->exit_code = cmd->exit_code;
    c->oc->delay_ms += cmd->delay_ms;
    c->oc->scripted = 1;
  } else if ((strcmp(prog, "bash") == 0 || strcmp(prog, "sh") == 0) &&
             (inner = shell_c_arg(argv)) != NULL) {
    if (depth >= MOCK_MAX_NESTING) {
      rc = VBX_E_LIMIT;
      goto done;
    }
    rc = run_string(c, inner, depth + 1);
  } else if (strcmp(prog, "echo") == 0) {
    size_t i = 1;
    int nl = 1;
    if (argv[1] != NULL && strcmp(argv[1], "-n") == 0) {
      nl = 0;
      i = 2;
    }
    for (size_t k = i; argv[k] != NULL; k++) {
      if (k > i) vbx__strbuf_puts(out, " ");
      vbx__strbuf_puts(out, argv[k]);
    }
    if (nl) vbx__strbuf_puts(out, "\n");
    c->oc->exit_code = 0;
  } else if (strcmp(prog, "cat") == 0) {
    c->oc->exit_code = builtin_cat(c, argv, out);
  } else if (strcmp(prog, "ls") == 0) {
    c->oc->exit_code = builtin_ls(c, argv, out);
  } else if (strcmp(prog, "pwd") == 0) {
    char *p = mock_path_norm(c->cwd, ".");
    vbx__strbuf_puts(out, p ? p : "/");
    vbx__strbuf_puts(out, "\n");
    free(p);
    c->oc->exit_code = 0;
  } else if (strcmp(prog, "true") == 0 || strcmp(prog, "mkdir") == 0 || strcmp(prog, ":") == 0) {
    c->oc->exit_code = 0; /* directories are implicit */
  } else if (strcmp(prog, "false") == 0) {
    c->oc->exit_code = 1;
  } else {
    vbx__strbuf_puts(&c->oc->err, "mock: command not scripted: ");
    vbx__strbuf_puts(&c->oc->err, line);
    vbx__strbuf_puts(&c->oc->err, "\n");
    c->oc->exit_code = 127;
  }
done:
  free(line);
  return rc;
}

/* ---- a tiny tokenizer for `sh -c` strings ---- */

typedef struct tok {
  char *word; /* malloc'd */
  int op;     /* 0 word, ';', '&' (&&), '|' (||), 'p' (pipe), '>' , 'a' (>>) */
} tok;

static int tokenize(const char *s, tok *toks, size_t max, size_t *n_out) {
  size_t n = 0;
  size_t slen = strlen(s);
  char *w = malloc(slen + 1);
  if (w == NULL) return VBX_E_NOMEM;
  while (*s != '\0') {
    while (*s == ' ' || *s == '\t' || *s == '\n')
      s++;
    if (*s == '\0') break;
    if (n >= max) goto toomany;
    int op = 0;
    if (s[0] == ';')
      op = ';', s += 1;
    else if (s[0] == '&' && s[1] == '&')
      op = '&', s += 2;
    else if (s[0] == '|' && s[1] == '|')
      op = '|', s += 2;
    else if (s[0] == '|')
      op = 'p', s += 1;
    else if (s[0] == '>' && s[1] == '>')
      op = 'a', s += 2;
    else if (s[0] == '>')
      op = '>', s += 1;
    if (op != 0) {
      toks[n].op = op;
      toks[n++].word = NULL;
      continue;
    }
    size_t k = 0;
    while (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\n' && *s != ';' && *s != '&' &&
           *s != '|' && *s != '>') {
      if (*s == '\'') {
        s++;
        while (*s != '\0' && *s != '\'')
          w[k++] = *s++;
        if (*s == '\'') s++;
      } else if (*s == '"') {
        s++;
        while (*s != '\0' && *s != '"') {
          if (*s == '\\' && (s[1] == '"' || s[1] == '\\' || s[1] == '$' || s[1] == '`')) s++;
          w[k++] = *s++;
        }
        if (*s == '"') s++;
      } else if (*s == '\\' && s[1] != '\0') {
        s++;
        w[k++] = *s++;
      } else {
        w[k++] = *s++;
      }
    }
    toks[n].op = 0;
    toks[n].word = strndup(w, k);
    if (toks[n].word == NULL) {
      *n_out = n;
      free(w);
      return VBX_E_NOMEM;
    }
    n++;
  }
  *n_out = n;
  free(w);
  return 0;
toomany:
  *n_out = n;
  free(w);
  return VBX_E_LIMIT;
}

/* Run one simple command toks[a..b) with optional redirection. */
static int run_simple(ctx *c, tok *toks, size_t a, size_t b, int depth) {
  const char *argv[MAX_WORDS + 1];
  size_t n = 0;
  const char *redir = NULL;
  int append = 0;
  for (size_t i = a; i < b; i++) {
    if (toks[i].op == '>' || toks[i].op == 'a') {
      if (i + 1 >= b || toks[i + 1].op != 0) {
        vbx__strbuf_puts(&c->oc->err, "mock: syntax error near redirection\n");
        c->oc->exit_code = 2;
        return 0;
      }
      redir = toks[i + 1].word;
      append = toks[i].op == 'a';
      i++;
    } else {
      argv[n++] = toks[i].word;
    }
  }
  argv[n] = NULL;
  if (redir == NULL) return run_argv(c, argv, &c->oc->out, depth);
  vbx__strbuf tmp = VBX__STRBUF_INIT;
  int rc = run_argv(c, argv, &tmp, depth);
  if (rc == 0 && !tmp.failed) {
    char *p = mock_path_norm(c->cwd, redir);
    int wrc = p ? mock_fs_write(&c->sb->fs, p, tmp.data ? tmp.data : "", tmp.len, 0644, append)
                : VBX_E_NOMEM;
    if (wrc != 0) {
      vbx__strbuf_puts(&c->oc->err, "mock: cannot write ");
      vbx__strbuf_puts(&c->oc->err, redir);
      vbx__strbuf_puts(&c->oc->err, wrc == VBX_E_LIMIT ? ": file system full\n" : ": error\n");
      c->oc->exit_code = 1;
    }
    free(p);
  }
  free(tmp.data);
  return rc;
}

static int run_string(ctx *c, const char *cmd, int depth) {
  const mock_command *script = find_script(c->sb, cmd);
  if (script != NULL) {
    apply_script(c->oc, script);
    return 0;
  }
  tok toks[MAX_WORDS];
  size_t n = 0;
  int rc = tokenize(cmd, toks, MAX_WORDS, &n);
  if (rc == VBX_E_LIMIT) {
    vbx__strbuf_puts(&c->oc->err, "mock: command has too many words\n");
    c->oc->exit_code = 2;
    rc = 0;
    goto done;
  }
  if (rc != 0) goto done;
  for (size_t i = 0; i < n; i++) {
    if (toks[i].op == 'p') {
      vbx__strbuf_puts(&c->oc->err, "mock: command not scripted: ");
      vbx__strbuf_puts(&c->oc->err, cmd);
      vbx__strbuf_puts(&c->oc->err, "\n");
      c->oc->exit_code = 127;
      goto done;
    }
  }
  size_t start = 0;
  int skip = 0;
  c->oc->exit_code = 0;
  for (size_t i = 0; i <= n && rc == 0; i++) {
    int op = i < n ? toks[i].op : ';';
    if (op != ';' && op != '&' && op != '|') continue;
    if (!skip && i > start) rc = run_simple(c, toks, start, i, depth);
    if (op == '&')
      skip = c->oc->exit_code != 0;
    else if (op == '|')
      skip = c->oc->exit_code == 0;
    else
      skip = 0;
    start = i + 1;
  }
done:
  for (size_t i = 0; i < n; i++)
    free(toks[i].word);
  return rc;
}

int mock_shell_run(mock_sandbox *sb, const char *const *argv, const char *cwd,
                   const char *stdin_data, size_t stdin_len, mock_outcome *oc) {
  ctx c = {sb, cwd, stdin_data, stdin_len, oc};
  if (argv == NULL || argv[0] == NULL) {
    vbx__strbuf_puts(&oc->err, "mock: empty command\n");
    oc->exit_code = 127;
    return 0;
  }
  return run_argv(&c, argv, &oc->out, 0);
}
