/*
 * gen_protocol_corpus.c - writes the seed corpus for fuzz_protocol_decode:
 * one small valid frame per message type plus one multi-frame stream, into
 * the directory given as argv[1]. The checked-in tests/fuzz/corpus/protocol/
 * was produced by this program; rerun it after changing the wire format.
 */
#include <stdio.h>
#include <string.h>

#include "voidbox/protocol/protocol.h"

static uint8_t all[4096]; /* every frame, concatenated: one stream seed */
#define TUN 0x80000001u   /* a guest-allocated tunnel id */
static size_t all_len;

static int write_file(const char *dir, const char *name, const uint8_t *p, size_t n) {
  char path[4096];
  FILE *f;
  int rc = 0;

  snprintf(path, sizeof(path), "%s/%s", dir, name);
  f = fopen(path, "wb");
  if (!f) return -1;
  if (fwrite(p, 1, n, f) != n) rc = -1;
  if (fclose(f) != 0) rc = -1;
  return rc;
}

int main(int argc, char **argv) {
  static const char *const av[] = {"/bin/sh", "-c", "echo hi"};
  static const char *const ev[] = {"PATH=/bin", "HOME=/root"};
  static const uint8_t bytes[] = "hello\n";
  struct vbx_proto_challenge ch = {1, 1, VBX_PROTO_FEAT_ALL_V1, {0}};
  struct vbx_proto_hello he = {1, 1, VBX_PROTO_FEAT_ALL_V1, {0}, {0}};
  struct vbx_proto_hello_ok ok = {1, VBX_PROTO_FEAT_ALL_V1, {0}};
  struct vbx_proto_error er = {-24, {"auth", 4}};
  struct vbx_proto_exec_start ex;
  struct vbx_proto_data d = {0, bytes, 6};
  struct vbx_proto_exit xt = {0, 3, 1000, 1, 2, 3};
  struct vbx_proto_file_put_begin pb = {0644, 6, {"/f", 2}};
  struct vbx_proto_file_end fe = {0, 6, {0}};
  struct vbx_proto_file_get fg = {4096, {"/f", 2}};
  struct vbx_proto_mkdir mk = {0755, 1, {"/d/e", 4}};
  struct vbx_proto_stat st = {0, {"/f", 2}};
  struct vbx_proto_stat_result sr = {1, 0644, 6, 1700000000000000000ll};
  struct vbx_proto_telemetry_sample ts = {10, 20, 30, 40, 5, 0, 0, 0, 0};
  struct vbx_proto_telemetry_sample tx = {10, 20, 30, 40, 5, 1, 1500, 900, 12};
  struct vbx_proto_buf b;
  const char *dir;
  int rc = 0;

  if (argc != 2) {
    fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
    return 2;
  }
  dir = argv[1];
  memset(&ex, 0, sizeof(ex));
  ex.argc = 3;
  ex.argv = av;
  ex.envc = 2;
  ex.envp = ev;
  ex.cwd = "/tmp";
  ex.p.stdin_mode = VBX_PROTO_STDIN_PIPE;
  ex.p.timeout_ms = 5000;
  ex.p.nrlimits = 1;
  ex.p.rlimits[0] = (struct vbx_proto_rlimit){7, 64, 128};
  memset(ch.nonce, 1, 32);
  vbx_proto_host_proof("secret", 6, ch.nonce, he.proof);
  memset(he.host_nonce, 2, 32);
  vbx_proto_guest_proof("secret", 6, he.host_nonce, ok.proof);
  vbx_proto_sha256(bytes, 6, fe.sha256);

  vbx_proto_buf_init_growable(&b, 0);
#define EMIT(name, call)                                            \
  do {                                                              \
    vbx_proto_buf_reset(&b);                                        \
    if ((call) != 0 || write_file(dir, name, b.data, b.len) != 0) { \
      fprintf(stderr, "failed: %s\n", name);                        \
      rc = 1;                                                       \
    } else if (all_len + b.len <= sizeof(all)) {                    \
      memcpy(all + all_len, b.data, b.len);                         \
      all_len += b.len;                                             \
    }                                                               \
  } while (0)
  EMIT("challenge", vbx_proto_encode_challenge(&b, &ch));
  EMIT("hello", vbx_proto_encode_hello(&b, &he));
  EMIT("hello_ok", vbx_proto_encode_hello_ok(&b, &ok));
  EMIT("error", vbx_proto_encode_error(&b, 1, &er));
  EMIT("ok", vbx_proto_encode_empty(&b, VBX_PROTO_T_OK, 1));
  EMIT("ping", vbx_proto_encode_ping(&b, VBX_PROTO_T_PING, 0, 7));
  EMIT("pong", vbx_proto_encode_ping(&b, VBX_PROTO_T_PONG, 0, 7));
  EMIT("shutdown", vbx_proto_encode_shutdown(&b, 1000));
  EMIT("exec_start", vbx_proto_encode_exec_start(&b, 1, &ex));
  EMIT("stdin_data", vbx_proto_encode_data(&b, VBX_PROTO_T_STDIN_DATA, 1, &d));
  EMIT("stdin_close", vbx_proto_encode_empty(&b, VBX_PROTO_T_STDIN_CLOSE, 1));
  EMIT("stdout_data", vbx_proto_encode_data(&b, VBX_PROTO_T_STDOUT_DATA, 1, &d));
  EMIT("stderr_data", vbx_proto_encode_data(&b, VBX_PROTO_T_STDERR_DATA, 1, &d));
  EMIT("window_update", vbx_proto_encode_window_update(&b, 1, 65536));
  EMIT("exit", vbx_proto_encode_exit(&b, 1, &xt));
  EMIT("signal", vbx_proto_encode_signal(&b, 1, 15));
  EMIT("file_put_begin", vbx_proto_encode_file_put_begin(&b, 2, &pb));
  EMIT("file_data", vbx_proto_encode_data(&b, VBX_PROTO_T_FILE_DATA, 2, &d));
  EMIT("file_end", vbx_proto_encode_file_end(&b, 2, &fe));
  EMIT("file_get", vbx_proto_encode_file_get(&b, 3, &fg));
  EMIT("mkdir", vbx_proto_encode_mkdir(&b, 4, &mk));
  EMIT("stat", vbx_proto_encode_stat(&b, 5, &st));
  EMIT("stat_result", vbx_proto_encode_stat_result(&b, 5, &sr));
  EMIT("telemetry_subscribe", vbx_proto_encode_telemetry_subscribe(&b, 6, 1000));
  EMIT("telemetry_sample", vbx_proto_encode_telemetry_sample(&b, 6, &ts));
  EMIT("telemetry_sample_ext", vbx_proto_encode_telemetry_sample(&b, 6, &tx));
  /* a tunnel's whole life, in the order an end sees it */
  EMIT("tunnel_open", vbx_proto_encode_tunnel_open(&b, TUN, VBX_PROTO_TUNNEL_LLM_GATEWAY));
  EMIT("tunnel_opened", vbx_proto_encode_empty(&b, VBX_PROTO_T_TUNNEL_OPENED, TUN));
  EMIT("tunnel_data", vbx_proto_encode_data(&b, VBX_PROTO_T_TUNNEL_DATA, TUN, &d));
  EMIT("tunnel_window", vbx_proto_encode_window_update(&b, TUN, 65536));
  EMIT("tunnel_eof", vbx_proto_encode_tunnel_eof(&b, TUN, 6));
  EMIT("tunnel_close", vbx_proto_encode_tunnel_close(&b, TUN, 0));
  EMIT("tunnel_reset", vbx_proto_encode_tunnel_close(&b, TUN, VBX_PROTO_TUNNEL_CLOSE_F_RESET));
#undef EMIT
  if (write_file(dir, "stream_all", all, all_len) != 0) rc = 1;
  vbx_proto_buf_fini(&b);
  return rc;
}
