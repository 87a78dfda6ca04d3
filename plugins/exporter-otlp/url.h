/*
 * exporter-otlp/url.h - the collector URLs: checking one, appending a
 * signal's path to a base endpoint (OTEL_EXPORTER_OTLP_ENDPOINT rules), and
 * a form safe to print (no user info, query or fragment).
 *
 * Threads: pure functions.
 */
#ifndef VBX_OTLP_URL_H
#define VBX_OTLP_URL_H

#include <stddef.h>

#define OX_URL_MAX 2048

/* Non-zero when url is an http:// or https:// URL with a host, at most
 * OX_URL_MAX bytes, without spaces or control characters. */
int ox_url_ok(const char *url);
/* base with "/" + path appended ("http://h:4318" + "v1/traces" ->
 * "http://h:4318/v1/traces"; a base ending in '/' gets no second one).
 * malloc'd, NULL on OOM. */
char *ox_url_join(const char *base, const char *path);
/* url for messages: scheme, host and path, without "user:pass@", query
 * and fragment, cut to fit out[n]. */
void ox_url_for_log(const char *url, char *out, size_t n);

#endif
