/*
 * doctor/cap.c - one capability entry of the doctor's report (what every
 * probe adds).
 */
#include "doctor/doctor.h"

json_t *vbx__doctor_cap(json_t *caps, const char *key, int available, const char *detail,
                        const char *reason) {
  json_t *o = json_pack("{s:b,s:s,s:s}", "available", available, "detail", detail ? detail : "",
                        "reason", available ? "" : (reason ? reason : "not available"));
  if (!o || json_object_set_new(caps, key, o)) return NULL;
  return o;
}
