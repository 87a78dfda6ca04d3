/*
 * model/builder.c - the box half of the C builder API (voidbox.h).
 *
 * Every call returns its box; the first failure (out of memory, malformed
 * argument) is kept in box->error_code / box->error and later calls still
 * apply when they can. vbx_pipeline_check / vbx_pipeline_run report it.
 */
#include <stdlib.h>
#include <string.h>

#include "model/model_util.h"
#include "netstack/policy.h"

#define OOM(b) vbx__box_fail((b), VBX_E_NOMEM, "out of memory")

VBX_API vbx_box *vbx_box_new(const char *name) {
  vbx_box *b = vbx__box_alloc(name);
  if (b == NULL) return NULL;
  if (name == NULL)
    vbx__box_fail(b, VBX_E_INVAL, "vbx_box_new: name is NULL");
  else if (!vbx__name_valid(name))
    vbx__box_fail(b, VBX_E_INVAL, "invalid box name '%.200s' (1 to %d of A-Z a-z 0-9 _ . -)", name,
                  VBX__NAME_MAX);
  return b;
}

/* Copy a required string argument into *dst; `what` names the call. */
static vbx_box *set_str(vbx_box *b, char **dst, const char *src, const char *what) {
  if (b == NULL) return NULL;
  if (src == NULL) {
    vbx__box_fail(b, VBX_E_INVAL, "%s: argument is NULL", what);
    return b;
  }
  if (vbx__str_replace(dst, src) != 0) OOM(b);
  return b;
}

VBX_API vbx_box *vbx_box_prompt(vbx_box *box, const char *prompt) {
  return set_str(box, box ? &box->prompt : NULL, prompt, "vbx_box_prompt");
}

VBX_API vbx_box *vbx_box_base_dir(vbx_box *box, const char *dir) {
  return set_str(box, box ? &box->base_dir : NULL, dir, "vbx_box_base_dir");
}

VBX_API vbx_box *vbx_box_sandbox(vbx_box *box, const char *backend) {
  return set_str(box, box ? &box->sandbox.backend : NULL, backend, "vbx_box_sandbox");
}

VBX_API vbx_box *vbx_box_skill(vbx_box *box, const char *skill) {
  if (box == NULL) return NULL;
  vbx__skill_decl s;
  memset(&s, 0, sizeof(s));
  int rc = vbx__skill_split(skill, &s.type, &s.value);
  if (rc == VBX_E_INVAL) {
    vbx__box_fail(box, rc, "malformed skill '%.200s': expected TYPE:VALUE, TYPE of a-z 0-9 _ -",
                  skill ? skill : "(null)");
    return box;
  }
  if (rc != 0 || vbx__box_add_skill(box, &s) != 0) {
    vbx__skill_decl_clear(&s);
    OOM(box);
  }
  return box;
}

VBX_API vbx_box *vbx_box_llm(vbx_box *box, const char *provider, const char *model) {
  if (box == NULL) return NULL;
  if (provider == NULL) {
    vbx__box_fail(box, VBX_E_INVAL, "vbx_box_llm: provider is NULL");
    return box;
  }
  if (vbx__str_replace(&box->llm.provider, provider) != 0 ||
      vbx__str_replace(&box->llm.model, model) != 0)
    OOM(box);
  return box;
}

VBX_API vbx_box *vbx_box_llm_base_url(vbx_box *box, const char *base_url) {
  if (box == NULL) return NULL;
  if (vbx__str_replace(&box->llm.base_url, base_url) != 0) OOM(box);
  return box;
}

VBX_API vbx_box *vbx_box_llm_api_key_env(vbx_box *box, const char *env_name) {
  if (box == NULL) return NULL;
  if (env_name != NULL && !vbx__env_name_valid(env_name)) {
    vbx__box_fail(box, VBX_E_INVAL,
                  "vbx_box_llm_api_key_env: '%s' is not an environment variable name", env_name);
    return box;
  }
  if (vbx__str_replace(&box->llm.api_key_env, env_name) != 0) OOM(box);
  return box;
}

/* Parse json_value and store it as option `key` of o. */
static vbx_box *set_option(vbx_box *b, vbx__options *o, const char *key, const char *json_value,
                           const char *what) {
  if (b == NULL) return NULL;
  if (key == NULL || json_value == NULL) {
    vbx__box_fail(b, VBX_E_INVAL, "%s: key or value is NULL", what);
    return b;
  }
  json_error_t jerr;
  json_t *v = json_loads(json_value, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
  if (v == NULL) {
    vbx__box_fail(b, VBX_E_INVAL, "%s '%.100s': value is not valid JSON: %.200s", what, key,
                  jerr.text);
    return b;
  }
  if (vbx__options_set(o, key, v, NULL) != 0) OOM(b);
  return b;
}

VBX_API vbx_box *vbx_box_llm_option(vbx_box *box, const char *key, const char *json_value) {
  return set_option(box, box ? &box->llm.options : NULL, key, json_value, "llm option");
}

VBX_API vbx_box *vbx_box_sandbox_option(vbx_box *box, const char *key, const char *json_value) {
  return set_option(box, box ? &box->sandbox.options : NULL, key, json_value, "sandbox option");
}

/* Store n in *dst when lo <= n <= hi, else record the failure. */
static vbx_box *set_u32(vbx_box *b, uint32_t *dst, uint32_t n, uint32_t lo, uint32_t hi,
                        const char *what) {
  if (b == NULL) return NULL;
  if (n < lo || n > hi)
    vbx__box_fail(b, VBX_E_INVAL, "%s must be between %u and %u, got %u", what, lo, hi, n);
  else
    *dst = n;
  return b;
}

VBX_API vbx_box *vbx_box_memory_mb(vbx_box *box, uint32_t mb) {
  return set_u32(box, box ? &box->sandbox.memory_mb : NULL, mb, 16, 1048576, "memory_mb");
}

VBX_API vbx_box *vbx_box_vcpus(vbx_box *box, uint32_t vcpus) {
  return set_u32(box, box ? &box->sandbox.vcpus : NULL, vcpus, 1, 64, "vcpus");
}

VBX_API vbx_box *vbx_box_disk_mb(vbx_box *box, uint32_t mb) {
  return set_u32(box, box ? &box->sandbox.disk_mb : NULL, mb, 1, 1048576, "disk_mb");
}

VBX_API vbx_box *vbx_box_max_turns(vbx_box *box, uint32_t turns) {
  return set_u32(box, box ? &box->max_turns : NULL, turns, 1, 1000, "max_turns");
}

VBX_API vbx_box *vbx_box_timeout_secs(vbx_box *box, uint32_t secs) {
  return set_u32(box, box ? &box->timeout_secs : NULL, secs, 0, 86400, "timeout_secs");
}

VBX_API vbx_box *vbx_box_network(vbx_box *box, int enabled) {
  if (box != NULL) box->sandbox.network = enabled != 0;
  return box;
}

VBX_API vbx_box *vbx_box_network_policy(vbx_box *box, const char *policy_json) {
  if (box == NULL) return NULL;
  vbx_netpolicy pol;
  char why[300];
  if (policy_json == NULL || vbx_netpolicy_from_json(policy_json, &pol, why, sizeof why) != 0) {
    vbx__box_fail(box, VBX_E_INVAL, "vbx_box_network_policy: %s",
                  policy_json == NULL ? "policy is NULL" : why);
    return box;
  }
  vbx_netpolicy_free(&pol);
  char *copy = strdup(policy_json);
  if (copy == NULL) return OOM(box), box;
  free(box->sandbox.network_policy);
  box->sandbox.network_policy = copy;
  box->sandbox.network = 1;
  return box;
}

VBX_API vbx_box *vbx_box_env(vbx_box *box, const char *key, const char *value) {
  if (box == NULL) return NULL;
  if (key == NULL || value == NULL) {
    vbx__box_fail(box, VBX_E_INVAL, "vbx_box_env: key or value is NULL");
    return box;
  }
  if (!vbx__env_name_valid(key)) {
    vbx__box_fail(box, VBX_E_INVAL,
                  "invalid environment variable name '%.100s' (A-Z a-z 0-9 _, not starting "
                  "with a digit)",
                  key);
    return box;
  }
  if (vbx__sandbox_set_env(&box->sandbox, key, value) != 0) OOM(box);
  return box;
}
