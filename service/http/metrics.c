/* Request metrics shared by every worker: a counter per (route, status), a latency
 * histogram per route, open and rejected connections. One mutex; the critical section
 * is a few additions, and the tables are bounded (extra routes fold into "other"). */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "http_internal.h"

#define MAX_ROUTES 64
#define MAX_SERIES 512
#define ROUTE_NAME_MAX 64

static const double bucket_le[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                   0.25,  0.5,   1.0,  2.5,   5.0,  10.0};
#define NBUCKETS (sizeof(bucket_le) / sizeof(bucket_le[0]))

typedef struct route_stat {
  char name[ROUTE_NAME_MAX];
  uint64_t bucket[NBUCKETS + 1]; /* per bucket, not cumulative; the last is +Inf only */
  uint64_t count;
  double sum;
} route_stat_t;

typedef struct series {
  int route;
  int status;
  uint64_t count;
} series_t;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static route_stat_t routes[MAX_ROUTES];
static size_t nroutes;
static series_t series[MAX_SERIES];
static size_t nseries;
static atomic_uint_fast64_t rejected;
atomic_int rt__http_open_connections;

/* Under mu. The last slot is kept for "other" so that the table never overflows. */
static int route_index(const char *route) {
  for (size_t i = 0; i < nroutes; i++)
    if (strncmp(routes[i].name, route, ROUTE_NAME_MAX - 1) == 0)
      return (int)i;
  if (nroutes >= MAX_ROUTES - 1) {
    for (size_t i = 0; i < nroutes; i++)
      if (strcmp(routes[i].name, "other") == 0)
        return (int)i;
    route = "other";
  }
  size_t i = nroutes++;
  memset(&routes[i], 0, sizeof(routes[i]));
  strncpy(routes[i].name, route, ROUTE_NAME_MAX - 1);
  return (int)i;
}

void rt__http_metrics_request(const char *route, int status, double seconds) {
  if (seconds < 0)
    seconds = 0;
  size_t b = 0;
  while (b < NBUCKETS && seconds > bucket_le[b])
    b++;
  pthread_mutex_lock(&mu);
  int ri = route_index(route);
  route_stat_t *r = &routes[ri];
  r->bucket[b]++;
  r->count++;
  r->sum += seconds;
  size_t i = 0;
  while (i < nseries && !(series[i].route == ri && series[i].status == status))
    i++;
  if (i == nseries && nseries < MAX_SERIES) {
    series[i].route = ri;
    series[i].status = status;
    series[i].count = 0;
    nseries++;
  }
  if (i < nseries)
    series[i].count++;
  pthread_mutex_unlock(&mu);
}

void rt__http_metrics_conn_rejected(void) {
  atomic_fetch_add_explicit(&rejected, 1, memory_order_relaxed);
}

/* A Prometheus label value: backslash, double quote and newline escaped. */
static int put_label(rt_buf_t *out, const char *s) {
  for (; *s; s++) {
    int rc;
    if (*s == '\\')
      rc = rt_buf_puts(out, "\\\\");
    else if (*s == '"')
      rc = rt_buf_puts(out, "\\\"");
    else if (*s == '\n')
      rc = rt_buf_puts(out, "\\n");
    else
      rc = rt_buf_append(out, s, 1);
    if (rc)
      return rc;
  }
  return 0;
}

static int render_locked(rt_buf_t *out) {
  int rc = rt_buf_puts(out, "# HELP roundtable_http_requests_total HTTP requests answered, "
                            "by route and status.\n"
                            "# TYPE roundtable_http_requests_total counter\n");
  for (size_t i = 0; !rc && i < nseries; i++) {
    rc = rt_buf_puts(out, "roundtable_http_requests_total{route=\"");
    if (!rc)
      rc = put_label(out, routes[series[i].route].name);
    if (!rc)
      rc = rt_buf_printf(out, "\",status=\"%d\"} %llu\n", series[i].status,
                         (unsigned long long)series[i].count);
  }
  if (!rc)
    rc = rt_buf_puts(out, "# HELP roundtable_http_request_duration_seconds Time from the first "
                          "byte of a request to its response, by route.\n"
                          "# TYPE roundtable_http_request_duration_seconds histogram\n");
  for (size_t i = 0; !rc && i < nroutes; i++) {
    const route_stat_t *r = &routes[i];
    uint64_t cum = 0;
    for (size_t b = 0; !rc && b <= NBUCKETS; b++) {
      cum += r->bucket[b];
      rc = rt_buf_puts(out, "roundtable_http_request_duration_seconds_bucket{route=\"");
      if (!rc)
        rc = put_label(out, r->name);
      if (!rc && b < NBUCKETS)
        rc = rt_buf_printf(out, "\",le=\"%g\"} %llu\n", bucket_le[b], (unsigned long long)cum);
      else if (!rc)
        rc = rt_buf_printf(out, "\",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
    }
    if (!rc)
      rc = rt_buf_puts(out, "roundtable_http_request_duration_seconds_sum{route=\"");
    if (!rc)
      rc = put_label(out, r->name);
    if (!rc)
      rc = rt_buf_printf(out, "\"} %.6f\n", r->sum);
    if (!rc)
      rc = rt_buf_puts(out, "roundtable_http_request_duration_seconds_count{route=\"");
    if (!rc)
      rc = put_label(out, r->name);
    if (!rc)
      rc = rt_buf_printf(out, "\"} %llu\n", (unsigned long long)r->count);
  }
  return rc;
}

int rt_http_metrics_render(rt_buf_t *out) {
  pthread_mutex_lock(&mu);
  int rc = render_locked(out);
  pthread_mutex_unlock(&mu);
  if (rc)
    return rc;
  return rt_buf_printf(
      out,
      "# HELP roundtable_http_open_connections Client connections open now.\n"
      "# TYPE roundtable_http_open_connections gauge\n"
      "roundtable_http_open_connections %d\n"
      "# HELP roundtable_http_rejected_connections_total Connections closed at once because "
      "of the connection cap.\n"
      "# TYPE roundtable_http_rejected_connections_total counter\n"
      "roundtable_http_rejected_connections_total %llu\n",
      atomic_load(&rt__http_open_connections),
      (unsigned long long)atomic_load_explicit(&rejected, memory_order_relaxed));
}
