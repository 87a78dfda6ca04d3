/*
 * image/fsutil.h - small filesystem helpers for the image builder: bounded
 * reads, atomic writes (temp file + rename), recursive mkdir and removal,
 * checked path formatting. Thread-safe (no shared state).
 */
#ifndef VBX_IMAGE_FSUTIL_H
#define VBX_IMAGE_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* snprintf into buf[size]; VBX_E_TOOBIG when the result would not fit. */
int vbx__img_path(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* mkdir -p path (mode for each created component). Returns 0 or VBX_E_IO. */
int vbx__img_mkdir_p(const char *path, mode_t mode);

/* Read a whole file of at most max bytes into a malloc'd, NUL-terminated
 * buffer the caller frees. Returns 0, VBX_E_NOTFOUND, VBX_E_TOOBIG, VBX_E_IO
 * or VBX_E_NOMEM. */
int vbx__img_read_file(const char *path, size_t max, char **out, size_t *len_out);

/* Write data to path atomically (path.tmp.PID, fsync, rename) with mode.
 * Returns 0 or VBX_E_IO. */
int vbx__img_write_file(const char *path, const void *data, size_t len, mode_t mode);

/* Copy src to dst atomically with mode. Returns 0, VBX_E_NOTFOUND or VBX_E_IO. */
int vbx__img_copy_file(const char *src, const char *dst, mode_t mode);

/* Replace (or create) the symlink at path so it points to target (atomic
 * rename of a temporary link). Returns 0 or VBX_E_IO. */
int vbx__img_symlink_replace(const char *target, const char *path);

/* rm -rf path (does not follow symlinks). Missing path is fine. Returns 0 or
 * VBX_E_IO. */
int vbx__img_rm_rf(const char *path);

#endif
