/*
 * tool_api.h - VBX__TOOL_API marks an internal function that libvoidbox.so
 * exports for voidbox's own command-line tool (core/cli), which links the
 * shared library like any embedder: the supervised run's in-flight table,
 * plugin inspection and listing, the check's plan that the worker runs
 * from and validate probes, and the result records the supervising parent
 * rebuilds. They are not part of the ABI: no header under sdk/
 * declares them, plugins never see them, and they may change in any
 * release together with the CLI built from the same tree.
 */
#ifndef VBX_TOOL_API_H
#define VBX_TOOL_API_H

#define VBX__TOOL_API __attribute__((visibility("default")))

#endif
