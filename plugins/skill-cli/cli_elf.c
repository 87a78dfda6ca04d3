/*
 * skill-cli/cli_elf.c - is a host file a static x86-64 ELF executable? A
 * dynamically linked program needs its loader and libraries, which a
 * micro-VM's root does not have, so only static ones are provisioned.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

int cli_elf_check_bytes(const unsigned char *b, size_t len, char *msg, size_t msg_len) {
  Elf64_Ehdr eh;
  if (len < sizeof eh || memcmp(b, ELFMAG, SELFMAG) != 0) {
    snprintf(msg, msg_len, "not an ELF executable");
    return VBX_E_INVAL;
  }
  memcpy(&eh, b, sizeof eh);
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
      eh.e_machine != EM_X86_64) {
    snprintf(msg, msg_len, "not a 64-bit x86-64 ELF file");
    return VBX_E_INVAL;
  }
  if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
    snprintf(msg, msg_len, "an ELF file that is not an executable (type %u)", eh.e_type);
    return VBX_E_INVAL;
  }
  if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > 4096 ||
      eh.e_phoff > len || (size_t)eh.e_phnum * sizeof(Elf64_Phdr) > len - eh.e_phoff) {
    snprintf(msg, msg_len, "an ELF file with a malformed program header table");
    return VBX_E_INVAL;
  }
  for (size_t i = 0; i < eh.e_phnum; i++) {
    Elf64_Phdr ph;
    memcpy(&ph, b + eh.e_phoff + i * sizeof ph, sizeof ph);
    if (ph.p_type == PT_INTERP) {
      char interp[128] = "";
      if (ph.p_offset < len && ph.p_filesz > 0 && ph.p_filesz <= len - ph.p_offset) {
        size_t n = ph.p_filesz < sizeof interp ? ph.p_filesz : sizeof interp - 1;
        memcpy(interp, b + ph.p_offset, n);
        interp[n] = '\0';
      }
      snprintf(msg, msg_len,
               "dynamically linked (it needs %s and its libraries); cli: provisions statically "
               "linked programs only",
               interp[0] ? interp : "a program interpreter");
      return VBX_E_INVAL;
    }
  }
  return 0;
}

int cli_elf_check_static(const char *path, char **data, size_t *len, char *msg, size_t msg_len) {
  char why[256];
  *data = NULL;
  *len = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    int e = errno;
    snprintf(msg, msg_len, "%s: %s", path, strerror(e));
    return e == ENOENT ? VBX_E_NOTFOUND : VBX_E_IO;
  }
  struct stat st;
  unsigned char *buf = NULL;
  int rc = 0;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    snprintf(msg, msg_len, "%s: not a regular file", path);
    rc = VBX_E_IO;
    goto out;
  }
  if ((unsigned long long)st.st_size > CLI_BINARY_MAX) {
    snprintf(msg, msg_len, "%s: %lld bytes, over the %u-byte limit of a provisioned program", path,
             (long long)st.st_size, CLI_BINARY_MAX);
    rc = VBX_E_TOOBIG;
    goto out;
  }
  size_t n = (size_t)st.st_size, got = 0;
  buf = malloc(n ? n : 1);
  if (buf == NULL) {
    snprintf(msg, msg_len, "out of memory");
    rc = VBX_E_NOMEM;
    goto out;
  }
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  if (got != n) {
    snprintf(msg, msg_len, "%s: read failed", path);
    rc = VBX_E_IO;
    goto out;
  }
  if ((rc = cli_elf_check_bytes(buf, n, why, sizeof why)) != 0) {
    snprintf(msg, msg_len, "%s: %s", path, why);
    goto out;
  }
  *data = (char *)buf;
  *len = n;
  buf = NULL;
out:
  free(buf);
  close(fd);
  return rc;
}
