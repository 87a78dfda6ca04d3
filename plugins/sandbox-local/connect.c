/*
 * sandbox-local/connect.c - this backend's ops of the box skeleton
 * (guest-session's gs_box.h): start is spawn.c; connect is the handshake
 * on the box's agent.sock; release frees the cgroups, the registry entry
 * and the uid once the agent is gone; why_dead names the agent's exit.
 *
 * The agent is PID 1 of the box's pid namespace: the SIGKILL of the
 * skeleton's teardown takes every command with it.
 */
#include <stdio.h>
#include <sys/wait.h>

#include "local.h"

static int local_connect(gs_box *box, vbx_call *call) {
  local_box *b = (local_box *)box;
  const vbx_host_services *h = box->host;
  char sock[600], logp[600], err[300], why[300];
  gs_box_path(box, "agent.sock", sock, sizeof sock);
  gs_box_path(box, "agent.log", logp, sizeof logp);
  int rc = gc_connect_unix(sock, box->secret, sizeof box->secret, (int)b->opt.handshake_timeout_ms,
                           &box->gs.conn, err, sizeof err);
  if (rc == 0) return 0;
  gs_box_why_dead(box, 0, why, sizeof why);
  return h->set_error(call, VBX_E_SANDBOX, NULL, "box %s: %s; %s (log: %s)", box->name, err, why,
                      logp);
}

/* After the agent is gone: its cgroups, the registry entry (kept when the
 * directory could not be removed: the sweep after this process is gone
 * tries again), and last the uid (no process of the box is left). */
static void local_release(gs_box *box, int dir_removed) {
  local_box *b = (local_box *)box;
  local_cgroup_destroy(&b->cg);
  if (b->recorded && dir_removed) local_registry_remove(b->st, box->dir);
  b->recorded = 0;
  local_uid_release(&b->uid);
}

static void local_why_dead(gs_box *box, int gone, int status, const char *conn_why, char *msg,
                           size_t cap) {
  (void)box;
  const char *why = conn_why[0] ? conn_why : "connection closed";
  if (gone && status != -1 && WIFSIGNALED(status))
    snprintf(msg, cap, "guest agent was killed by signal %d (%s)", WTERMSIG(status), why);
  else if (gone && status != -1)
    snprintf(msg, cap, "guest agent exited with status %d (%s)", WEXITSTATUS(status), why);
  else
    snprintf(msg, cap, "%s", conn_why[0] ? conn_why : "guest agent connection lost");
}

const gs_box_ops local_box_ops = {
    .dir_prefix = "voidbox-local-",
    .sock_name = "agent.sock",
    .proc_file = NULL, /* the agent is in the box's cgroups: the sweep kills those */
    .stop_wait_ms = LOCAL_STOP_WAIT_MS,
    .exit_wait_ms = LOCAL_EXIT_WAIT_MS,
    .owner_text = local_owner_text,
    .start = local_spawn,
    .connect = local_connect,
    .release = local_release,
    .why_dead = local_why_dead,
};
