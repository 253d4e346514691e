#include "roundtable/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "roundtable/error.h"

rt_log_level_t rt_log_threshold = RT_LOG_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

int rt_log_parse_level(const char *s, rt_log_level_t *out) {
  for (int i = 0; i < 4; i++) {
    if (strcmp(s, level_names[i]) == 0) {
      *out = (rt_log_level_t)i;
      return 0;
    }
  }
  return RT_EINVAL;
}

unsigned long rt_log_escape(char *dst, unsigned long dstlen, const char *src,
                            unsigned long srclen) {
  static const char hex[] = "0123456789abcdef";
  unsigned long o = 0;
  if (dstlen == 0)
    return 0;
  for (unsigned long i = 0; i < srclen; i++) {
    unsigned char c = (unsigned char)src[i];
    char tmp[4];
    unsigned long n = 0;
    if (c == '\n') {
      tmp[0] = '\\', tmp[1] = 'n', n = 2;
    } else if (c == '\r') {
      tmp[0] = '\\', tmp[1] = 'r', n = 2;
    } else if (c == '\\' || c == '"') {
      tmp[0] = '\\', tmp[1] = (char)c, n = 2;
    } else if (c < 0x20 || c == 0x7f) {
      tmp[0] = '\\', tmp[1] = 'x', tmp[2] = hex[c >> 4], tmp[3] = hex[c & 15], n = 4;
    } else {
      tmp[0] = (char)c, n = 1;
    }
    if (o + n >= dstlen)
      break;
    memcpy(dst + o, tmp, n);
    o += n;
  }
  dst[o] = '\0';
  return o;
}

/* A thread in batch mode (rt_log_batch) keeps whole lines here until rt_log_flush or until
 * the next line would not fit: an event loop flushes once per turn, so a busy loop writes
 * many lines with one write(2) instead of one each. */
#define BATCH_BYTES 16384
static _Thread_local struct {
  int on;
  size_t len;
  time_t when_sec; /* the second that `when` renders */
  char when[32];
  char data[BATCH_BYTES];
} tls;

void rt_log_flush(void) {
  size_t off = 0;
  while (off < tls.len) {
    ssize_t w = write(STDERR_FILENO, tls.data + off, tls.len - off);
    if (w <= 0)
      break;
    off += (size_t)w;
  }
  tls.len = 0;
}

void rt_log_batch(int on) {
  if (!on)
    rt_log_flush();
  tls.on = on;
}

static void emit(const char *line, size_t len) {
  if (!tls.on) {
    /* One write(2) per line keeps lines from several threads whole. */
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
    return;
  }
  if (tls.len + len > sizeof(tls.data))
    rt_log_flush();
  memcpy(tls.data + tls.len, line, len);
  tls.len += len;
}

/* The current time into ts, and its second as text in tls.when (made once a second). */
static void when_now(struct timespec *ts) {
  clock_gettime(CLOCK_REALTIME, ts);
  if (ts->tv_sec != tls.when_sec || !tls.when[0]) {
    struct tm tm;
    gmtime_r(&ts->tv_sec, &tm);
    strftime(tls.when, sizeof(tls.when), "%Y-%m-%dT%H:%M:%S", &tm);
    tls.when_sec = ts->tv_sec;
  }
}

void rt_log_write(rt_log_level_t level, const char *request_id, const char *fmt, ...) {
  char msg[2048];
  char esc[4096];
  char line[4400];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  size_t mlen = (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1;
  rt_log_escape(esc, sizeof(esc), msg, mlen);

  struct timespec ts;
  when_now(&ts);
  int len;
  if (request_id)
    len = snprintf(line, sizeof(line), "%s.%03ldZ %s [%s] %s\n", tls.when, ts.tv_nsec / 1000000,
                   level_names[level], request_id, esc);
  else
    len = snprintf(line, sizeof(line), "%s.%03ldZ %s %s\n", tls.when, ts.tv_nsec / 1000000,
                   level_names[level], esc);
  if (len < 0)
    return;
  if ((size_t)len >= sizeof(line)) {
    len = sizeof(line) - 1;
    line[len - 1] = '\n';
  }
  emit(line, (size_t)len);
}

/* Appends n decimal digits of v (zero-padded) at p; returns the end. */
static char *put_digits(char *p, unsigned long long v, int n) {
  for (int i = n - 1; i >= 0; i--, v /= 10)
    p[i] = (char)('0' + v % 10);
  return p + n;
}

static char *put_number(char *p, unsigned long long v) {
  char tmp[24];
  int n = 0;
  do
    tmp[n++] = (char)('0' + v % 10);
  while ((v /= 10) != 0);
  while (n)
    *p++ = tmp[--n];
  return p;
}

void rt_log_access(const char *request_id, const char *method, const char *target, int status,
                   unsigned long bytes, unsigned long long us) {
  /* The same line rt_log_write makes of "%s %.512s %d %zu bytes %llu.%03llu ms", without
   * printf: the access log is written once per request. */
  char line[32 + 8 + 80 + 2 * 4 * 512 + 96];
  struct timespec ts;
  when_now(&ts);
  char *p = line;
  size_t n = strlen(tls.when);
  memcpy(p, tls.when, n), p += n;
  *p++ = '.';
  p = put_digits(p, (unsigned long long)(ts.tv_nsec / 1000000), 3);
  memcpy(p, "Z info ", 7), p += 7;
  if (request_id) {
    n = strnlen(request_id, 64);
    *p++ = '[';
    memcpy(p, request_id, n), p += n;
    *p++ = ']', *p++ = ' ';
  }
  size_t mlen = strnlen(method, 32);
  p += rt_log_escape(p, 4 * 32 + 1, method, mlen);
  *p++ = ' ';
  size_t tlen = strnlen(target, 512);
  p += rt_log_escape(p, 4 * 512 + 1, target, tlen);
  *p++ = ' ';
  p = put_number(p, (unsigned long long)(status < 0 ? 0 : status));
  *p++ = ' ';
  p = put_number(p, bytes);
  memcpy(p, " bytes ", 7), p += 7;
  p = put_number(p, us / 1000);
  *p++ = '.';
  p = put_digits(p, us % 1000, 3);
  memcpy(p, " ms\n", 4), p += 4;
  emit(line, (size_t)(p - line));
}
