/*
 * policy_names.h - the rlimit names of the policy file ("rlimit.nofile")
 * and their RLIMIT_* resources, shared by its reader and its writer. Not
 * installed.
 */
#ifndef VBX_PROTOCOL_POLICY_NAMES_H
#define VBX_PROTOCOL_POLICY_NAMES_H

#include <stddef.h>
#include <string.h>
#include <sys/resource.h>

static const struct {
  const char *name;
  int res;
} vbx__policy_rl_names[] = {
    {"as", RLIMIT_AS},           {"core", RLIMIT_CORE},
    {"cpu", RLIMIT_CPU},         {"data", RLIMIT_DATA},
    {"fsize", RLIMIT_FSIZE},     {"nofile", RLIMIT_NOFILE},
    {"nproc", RLIMIT_NPROC},     {"stack", RLIMIT_STACK},
    {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE},
};

#define VBX__POLICY_N_RL_NAMES (sizeof vbx__policy_rl_names / sizeof vbx__policy_rl_names[0])

/* The RLIMIT_* of a name, -1 when unknown. */
static inline int vbx__policy_rlimit_resource(const char *name) {
  for (size_t i = 0; i < VBX__POLICY_N_RL_NAMES; i++)
    if (strcmp(name, vbx__policy_rl_names[i].name) == 0) return vbx__policy_rl_names[i].res;
  return -1;
}

/* The name of an RLIMIT_*, NULL when the file cannot name it. */
static inline const char *vbx__policy_rlimit_name(int res) {
  for (size_t i = 0; i < VBX__POLICY_N_RL_NAMES; i++)
    if (vbx__policy_rl_names[i].res == res) return vbx__policy_rl_names[i].name;
  return NULL;
}

#endif
