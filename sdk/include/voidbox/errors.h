/*
 * voidbox/errors.h - error codes shared by the host, the embedding API and
 * plugins.
 *
 * Every fallible function in voidbox returns an int: 0 on success or one of
 * the negative VBX_E_* codes below. Values are part of the ABI: a code is
 * never renumbered or reused; new codes are appended.
 */
#ifndef VOIDBOX_ERRORS_H
#define VOIDBOX_ERRORS_H

#ifdef __cplusplus
extern "C" {
#endif

#define VBX_OK 0
#define VBX_E_GENERIC (-1)     /* unclassified failure; see message */
#define VBX_E_NOMEM (-2)       /* allocation failed */
#define VBX_E_INVAL (-3)       /* invalid argument */
#define VBX_E_UNSUPPORTED (-4) /* method or feature not provided */
#define VBX_E_NOTFOUND (-5)    /* named thing does not exist */
#define VBX_E_EXISTS (-6)      /* named thing already exists */
#define VBX_E_STATE (-7)       /* call not allowed in the current state */
#define VBX_E_IO (-8)          /* input/output error */
#define VBX_E_TIMEOUT (-9)     /* deadline passed */
#define VBX_E_CANCELLED (-10)  /* cancelled by the caller or by Ctrl-C */
#define VBX_E_SPEC (-11)       /* spec file is invalid */
#define VBX_E_ABI (-12)        /* plugin ABI mismatch */
#define VBX_E_PLUGIN (-13)     /* plugin failed to load or misbehaved */
#define VBX_E_LIMIT (-14)      /* a configured limit was reached */
#define VBX_E_PERM (-15)       /* refused by policy or permissions */
#define VBX_E_PROVIDER (-16)   /* LLM provider returned an error */
#define VBX_E_SANDBOX (-17)    /* sandbox backend failed */
#define VBX_E_TOOL (-18)       /* tool call failed */
#define VBX_E_HTTP (-19)       /* HTTP transport failure */
#define VBX_E_PROTOCOL (-20)   /* malformed message on a wire */
#define VBX_E_TOOBIG (-21)     /* a length exceeded its bound */
#define VBX_E_AGAIN (-22)      /* not ready yet; retry */
#define VBX_E_VERSION (-23)    /* version negotiation failed */
#define VBX_E_AUTH (-24)       /* authentication failed */
/* ---- appended in ABI 1.1 ---- */
#define VBX_E_SANDBOX_LOST \
  (-25) /* the sandbox is gone: its agent, VM or process died;
                                    the box cannot go on */

/* The name and description of a code, vbx_strerror(), belong to
 * libvoidbox and are declared in voidbox.h: a plugin links nothing from the
 * host, so it cannot call them (the CLI does not export them either). */

#ifdef __cplusplus
}
#endif
#endif /* VOIDBOX_ERRORS_H */
