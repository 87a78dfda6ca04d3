/*
 * tests/unit/mcp/fake_server.c - a scripted MCP server over stdio for the
 * MCP client's tests: `mcp_fake_server [SCENARIO]`.
 *
 * Scenarios change the start: normal (answers initialize with the version
 * asked for), version-old (answers 2024-11-05), version-bad (1999-01-01),
 * die-at-start (stderr, exit 7), silent (never answers), no-tools
 * (tools/list is method-not-found), endless (every page has a nextCursor),
 * many (600 tools a page).
 *
 * tools/list gives 17 tools over 3 pages. tools/call by tool name: echo
 * {message}; add {a,b}, which first asks the client ping, roots/list and
 * sampling/createMessage and reports the answers (every root's URI); mixed (every content
 * type); structured; fail (isError); rpcerr (JSON-RPC error); env (the
 * value of FAKE_ENV); slow {ms}; crash (stderr, exit 3); abort (SIGKILL
 * itself); stall (never answers); garbage (a non-JSON line); huge (a 5 MiB
 * line); wrongid (id 999); noid (an error with id null); notjsonrpc (no
 * "jsonrpc"); bigtext {n}. Every notifications/cancelled received is
 * reported on stderr.
 */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *scenario = "normal";

static void send_json(json_t *j) {
  char *s = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  printf("%s\n", s);
  fflush(stdout);
  free(s);
}

static void result(json_t *id, json_t *res) {
  send_json(json_pack("{s:s,s:O,s:o}", "jsonrpc", "2.0", "id", id, "result", res));
}

static void text_result(json_t *id, const char *text) {
  result(id, json_pack("{s:[{s:s,s:s}]}", "content", "type", "text", "text", text));
}

static void error(json_t *id, int code, const char *msg) {
  send_json(json_pack("{s:s,s:O,s:{s:i,s:s}}", "jsonrpc", "2.0", "id", id, "error", "code", code,
                      "message", msg));
}

static json_t *read_msg(void) {
  static char *line = NULL;
  static size_t cap = 0;
  for (;;) {
    ssize_t n = getline(&line, &cap, stdin);
    if (n <= 0) exit(0);
    json_t *j = json_loads(line, 0, NULL);
    if (j == NULL) {
      fprintf(stderr, "fake: bad line from the client: %s", line);
      exit(9);
    }
    const char *m = json_string_value(json_object_get(j, "method"));
    if (m != NULL && strcmp(m, "notifications/cancelled") == 0) {
      fprintf(
          stderr, "fake: cancelled %lld (%s)\n",
          (long long)json_integer_value(json_object_get(json_object_get(j, "params"), "requestId")),
          json_string_value(json_object_get(json_object_get(j, "params"), "reason")));
      json_decref(j);
      continue;
    }
    return j;
  }
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static json_t *tool(const char *name) {
  return json_pack("{s:s,s:s,s:{s:s,s:{s:{s:s}}}}", "name", name, "description", "a fake tool",
                   "inputSchema", "type", "object", "properties", "message", "type", "string");
}

static void tools_list(json_t *id, json_t *params) {
  const char *cursor = json_string_value(json_object_get(params, "cursor"));
  if (strcmp(scenario, "no-tools") == 0) return error(id, -32601, "Method not found");
  json_t *tools = json_array();
  if (strcmp(scenario, "many") == 0) {
    char n[32];
    for (int i = 0; i < 600; i++) {
      snprintf(n, sizeof n, "t%s%d", cursor ? cursor : "", i);
      json_array_append_new(tools, tool(n));
    }
    return result(id, json_pack("{s:o,s:s}", "tools", tools, "nextCursor", cursor ? "z" : "y"));
  }
  if (strcmp(scenario, "endless") == 0) {
    json_array_append_new(tools, tool("loop"));
    return result(id, json_pack("{s:o,s:s}", "tools", tools, "nextCursor", "again"));
  }
  static const char *const p1[] = {"echo", "add", "mixed", "structured", NULL};
  static const char *const p2[] = {"fail", "rpcerr", "env", "slow", "crash", "abort", NULL};
  static const char *const p3[] = {
      "stall",   "garbage",  "huge",
      "wrongid", "noid",     "notjsonrpc",
      "bigtext", "bad.name", "a_tool_name_long_enough_that_the_box_name_is_over_64_bytes",
      NULL};
  const char *const *page = !cursor ? p1 : strcmp(cursor, "page2") == 0 ? p2 : p3;
  for (size_t i = 0; page[i]; i++)
    json_array_append_new(tools, tool(page[i]));
  json_t *res = json_pack("{s:o}", "tools", tools);
  if (page != p3) json_object_set_new(res, "nextCursor", json_string(page == p1 ? "page2" : "p3"));
  result(id, res);
}

/* tools/call add: ask the client three things, check the answers, then sum. */
static void add(json_t *id, json_t *args) {
  send_json(json_pack("{s:s,s:s,s:{s:s,s:s}}", "jsonrpc", "2.0", "method", "notifications/message",
                      "params", "level", "info", "data", "adding now"));
  send_json(json_pack("{s:s,s:s,s:s}", "jsonrpc", "2.0", "id", "srv-ping", "method", "ping"));
  send_json(json_pack("{s:s,s:i,s:s}", "jsonrpc", "2.0", "id", 41, "method", "roots/list"));
  send_json(json_pack("{s:s,s:i,s:s,s:{}}", "jsonrpc", "2.0", "id", 42, "method",
                      "sampling/createMessage", "params"));
  send_json(json_pack("{s:s,s:s}", "jsonrpc", "2.0", "method", "notifications/tools/list_changed"));
  int ping = 0, sampling = 0;
  char roots[512] = "";
  for (int got = 0; got < 3;) {
    json_t *m = read_msg();
    json_t *mid = json_object_get(m, "id");
    if (json_is_string(mid) && strcmp(json_string_value(mid), "srv-ping") == 0) {
      ping = json_is_object(json_object_get(m, "result")) &&
             json_object_size(json_object_get(m, "result")) == 0;
      got++;
    } else if (json_integer_value(mid) == 41) {
      size_t i;
      json_t *r;
      json_array_foreach(json_object_get(json_object_get(m, "result"), "roots"), i, r) {
        size_t n = strlen(roots);
        snprintf(roots + n, sizeof roots - n, "%s%s", i ? "," : "",
                 json_string_value(json_object_get(r, "uri")));
      }
      got++;
    } else if (json_integer_value(mid) == 42) {
      sampling = (int)json_integer_value(json_object_get(json_object_get(m, "error"), "code"));
      got++;
    }
    json_decref(m);
  }
  char text[800];
  snprintf(text, sizeof text, "sum=%lld ping=%s roots=%s sampling=%d",
           (long long)(json_integer_value(json_object_get(args, "a")) +
                       json_integer_value(json_object_get(args, "b"))),
           ping ? "ok" : "bad", roots, sampling);
  text_result(id, text);
}

static void mixed(json_t *id) {
  result(id, json_pack("{s:[{s:s,s:s},{s:s,s:s,s:s},{s:s,s:s,s:s},{s:s,s:s,s:s,s:s},"
                       "{s:s,s:{s:s,s:s,s:s}},{s:s,s:{s:s,s:s}},{s:s}],s:{s:i}}",
                       "content", "type", "text", "text", "hello", "type", "image", "mimeType",
                       "image/png", "data", "AAAAAAAAAAAAAA==", "type", "audio", "mimeType",
                       "audio/wav", "data", "AAAA", "type", "resource_link", "name", "notes", "uri",
                       "file:///workspace/notes.txt", "mimeType", "text/plain", "type", "resource",
                       "resource", "uri", "file:///a.txt", "mimeType", "text/plain", "text",
                       "inside a", "type", "resource", "resource", "uri", "file:///b.bin", "blob",
                       "AAAAAA==", "type", "hologram", "structuredContent", "k", 1));
}

static void call(json_t *id, json_t *params) {
  const char *name = json_string_value(json_object_get(params, "name"));
  json_t *args = json_object_get(params, "arguments");
  char text[600];
  if (name == NULL) return error(id, -32602, "no name");
  if (strcmp(name, "echo") == 0) {
    const char *msg = json_string_value(json_object_get(args, "message"));
    snprintf(text, sizeof text, "Echo: %s", msg ? msg : "(none)");
    text_result(id, text);
  } else if (strcmp(name, "add") == 0) {
    add(id, args);
  } else if (strcmp(name, "mixed") == 0) {
    mixed(id);
  } else if (strcmp(name, "structured") == 0) {
    result(id, json_pack("{s:[{s:s,s:s}],s:{s:i}}", "content", "type", "text", "text",
                         "{\"temperature\": 22}", "structuredContent", "temperature", 22));
  } else if (strcmp(name, "fail") == 0) {
    result(id, json_pack("{s:[{s:s,s:s}],s:b}", "content", "type", "text", "text", "it failed",
                         "isError", 1));
  } else if (strcmp(name, "rpcerr") == 0) {
    error(id, -32602, "Unknown tool: rpcerr");
  } else if (strcmp(name, "env") == 0) {
    text_result(id, getenv("FAKE_ENV") ? getenv("FAKE_ENV") : "(unset)");
  } else if (strcmp(name, "slow") == 0) {
    sleep_ms((long)json_integer_value(json_object_get(args, "ms")));
    text_result(id, "slow done");
  } else if (strcmp(name, "crash") == 0) {
    fprintf(stderr, "fake: about to crash\nfatal: boom at step 2\n");
    exit(3);
  } else if (strcmp(name, "abort") == 0) {
    kill(getpid(), SIGKILL);
  } else if (strcmp(name, "stall") == 0) {
    for (;;)
      pause();
  } else if (strcmp(name, "garbage") == 0) {
    printf("this is not json\n");
    fflush(stdout);
  } else if (strcmp(name, "huge") == 0) {
    size_t n = (size_t)5 << 20;
    char *big = malloc(n + 1);
    memset(big, 'a', n);
    big[n] = '\0';
    text_result(id, big);
    free(big);
  } else if (strcmp(name, "wrongid") == 0) {
    json_t *other = json_integer(999);
    text_result(other, "to nobody");
    json_decref(other);
  } else if (strcmp(name, "noid") == 0) {
    json_t *null = json_null();
    error(null, -32700, "Parse error");
  } else if (strcmp(name, "notjsonrpc") == 0) {
    send_json(json_pack("{s:O,s:{}}", "id", id, "result"));
  } else if (strcmp(name, "bigtext") == 0) {
    size_t n = (size_t)json_integer_value(json_object_get(args, "n"));
    char *big = malloc(n + 1);
    memset(big, 'b', n);
    big[n] = '\0';
    text_result(id, big);
    free(big);
  } else {
    result(id, json_pack("{s:[{s:s,s:s}],s:b}", "content", "type", "text", "text", "no such tool",
                         "isError", 1));
  }
}

static void initialize(json_t *id, json_t *params) {
  const char *asked = json_string_value(json_object_get(params, "protocolVersion"));
  const char *v = asked ? asked : "2025-11-25";
  if (strcmp(scenario, "version-old") == 0) v = "2024-11-05";
  if (strcmp(scenario, "version-bad") == 0) v = "1999-01-01";
  if (strcmp(scenario, "silent") == 0) return;
  send_json(json_pack("{s:s,s:s,s:{s:s,s:s}}", "jsonrpc", "2.0", "method", "notifications/message",
                      "params", "level", "debug", "data", "starting"));
  result(id,
         json_pack("{s:s,s:{s:{s:b}},s:{s:s,s:s}}", "protocolVersion", v, "capabilities", "tools",
                   "listChanged", 1, "serverInfo", "name", "fake", "version", "1.2.3"));
}

int main(int argc, char **argv) {
  if (argc > 1) scenario = argv[1];
  if (strcmp(scenario, "die-at-start") == 0) {
    fprintf(stderr, "cannot start: the thing is missing\n");
    return 7;
  }
  for (;;) {
    json_t *m = read_msg();
    const char *method = json_string_value(json_object_get(m, "method"));
    json_t *id = json_object_get(m, "id");
    json_t *params = json_object_get(m, "params");
    if (method == NULL || id == NULL) { /* notifications/initialized, answers */
      json_decref(m);
      continue;
    }
    if (strcmp(method, "initialize") == 0)
      initialize(id, params);
    else if (strcmp(method, "tools/list") == 0)
      tools_list(id, params);
    else if (strcmp(method, "tools/call") == 0)
      call(id, params);
    else if (strcmp(method, "ping") == 0)
      result(id, json_object());
    else
      error(id, -32601, "Method not found");
    json_decref(m);
  }
}
