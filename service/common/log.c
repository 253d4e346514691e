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
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char when[32];
  strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
  int len;
  if (request_id)
    len = snprintf(line, sizeof(line), "%s.%03ldZ %s [%s] %s\n", when, ts.tv_nsec / 1000000,
                   level_names[level], request_id, esc);
  else
    len = snprintf(line, sizeof(line), "%s.%03ldZ %s %s\n", when, ts.tv_nsec / 1000000,
                   level_names[level], esc);
  if (len < 0)
    return;
  if ((size_t)len >= sizeof(line)) {
    len = sizeof(line) - 1;
    line[len - 1] = '\n';
  }
  /* One write(2) per line keeps lines from several threads whole. */
  ssize_t w = write(STDERR_FILENO, line, (size_t)len);
  (void)w;
}
