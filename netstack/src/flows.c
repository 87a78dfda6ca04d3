/*
 * netstack/flows.c - the flow table (flows.h): a chained hash over a
 * fixed pool.
 */
#include "flows.h"

#include <string.h>

#define NS_SEC 1000000000ull
#define NBUCKETS (sizeof(((ns_flows *)0)->buckets) / sizeof(int32_t))

static size_t hash(uint8_t proto, uint16_t gport, uint32_t daddr, uint16_t dport) {
  uint32_t h = daddr * 2654435761u ^ ((uint32_t)gport << 16 | dport) * 40503u ^ proto;
  h ^= h >> 15;
  return h % NBUCKETS;
}

void ns_flows_init(ns_flows *t) {
  memset(t, 0, sizeof *t);
  for (size_t i = 0; i < NBUCKETS; i++)
    t->buckets[i] = -1;
  for (int32_t i = 0; i < NS_FLOWS_MAX; i++)
    t->pool[i].next = i + 1 < NS_FLOWS_MAX ? i + 1 : -1;
  t->free_head = 0;
}

ns_flow *ns_flows_find(ns_flows *t, uint8_t proto, uint16_t gport, uint32_t daddr, uint16_t dport) {
  for (int32_t i = t->buckets[hash(proto, gport, daddr, dport)]; i >= 0; i = t->pool[i].next) {
    ns_flow *f = &t->pool[i];
    if (f->proto == proto && f->gport == gport && f->daddr == daddr && f->dport == dport) return f;
  }
  return NULL;
}

static void unlink_flow(ns_flows *t, int32_t idx) {
  ns_flow *f = &t->pool[idx];
  int32_t *p = &t->buckets[hash(f->proto, f->gport, f->daddr, f->dport)];
  while (*p >= 0 && *p != idx)
    p = &t->pool[*p].next;
  if (*p == idx) *p = f->next;
  if (!f->closing) {
    t->n_open--;
    if (f->gateway) t->n_gateway--;
  }
  memset(f, 0, sizeof *f);
  f->next = t->free_head;
  t->free_head = idx;
  t->n_used--;
}

void ns_flows_remove(ns_flows *t, ns_flow *f) { unlink_flow(t, (int32_t)(f - t->pool)); }

ns_flow *ns_flows_add(ns_flows *t, uint8_t proto, uint16_t gport, uint32_t daddr, uint16_t dport,
                      bool gateway, uint64_t now_ns) {
  if (t->free_head < 0) {
    /* Make room from the oldest closing flow. */
    int32_t oldest = -1;
    for (int32_t i = 0; i < NS_FLOWS_MAX; i++)
      if (t->pool[i].closing && (oldest < 0 || t->pool[i].last_ns < t->pool[oldest].last_ns))
        oldest = i;
    if (oldest < 0) return NULL;
    unlink_flow(t, oldest);
  }
  int32_t idx = t->free_head;
  ns_flow *f = &t->pool[idx];
  t->free_head = f->next;
  memset(f, 0, sizeof *f);
  f->proto = proto, f->gport = gport, f->daddr = daddr, f->dport = dport;
  f->gateway = gateway;
  f->last_ns = now_ns;
  size_t b = hash(proto, gport, daddr, dport);
  f->next = t->buckets[b];
  t->buckets[b] = idx;
  t->n_used++;
  t->n_open++;
  if (gateway) t->n_gateway++;
  return f;
}

void ns_flows_close(ns_flows *t, ns_flow *f) {
  if (f->closing) return;
  f->closing = true;
  t->n_open--;
  if (f->gateway) t->n_gateway--;
}

size_t ns_flows_expire(ns_flows *t, uint64_t now_ns) {
  size_t n = 0;
  for (int32_t i = 0; i < NS_FLOWS_MAX && t->n_used > 0; i++) {
    ns_flow *f = &t->pool[i];
    if (f->proto == 0) continue;
    uint64_t idle = f->closing ? 10 * NS_SEC : f->proto == 17 ? 60 * NS_SEC : 7200 * NS_SEC;
    if (now_ns - f->last_ns > idle) {
      unlink_flow(t, i);
      n++;
    }
  }
  return n;
}
