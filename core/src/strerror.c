/*
 * strerror.c - vbx_strerror (errors.h): the public face of the code table
 * in core/util/errname.c.
 */
#include "voidbox/errors.h"

#include "util/error.h"
#include "voidbox/voidbox.h"

VBX_API const char *vbx_strerror(int code) { return vbx__error_text(code); }
