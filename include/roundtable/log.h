/* Leveled logging to stderr: one line per event, level checked before formatting,
 * the request id in every line that has one, CR/LF and control bytes escaped. */
#ifndef ROUNDTABLE_LOG_H
#define ROUNDTABLE_LOG_H

typedef enum rt_log_level {
  RT_LOG_ERROR = 0,
  RT_LOG_WARN = 1,
  RT_LOG_INFO = 2,
  RT_LOG_DEBUG = 3,
} rt_log_level_t;

extern rt_log_level_t rt_log_threshold;

/* Parses "error", "warn", "info", "debug"; returns 0 or RT_EINVAL. */
int rt_log_parse_level(const char *s, rt_log_level_t *out);
/* request_id (borrowed) may be NULL. */
void rt_log_write(rt_log_level_t level, const char *request_id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Batch mode for the calling thread (an event loop's): lines wait in a per-thread buffer,
 * always whole, until rt_log_flush() (the loop calls it once per turn) or until the buffer
 * is full. rt_log_batch(0) flushes and returns to one write(2) per line. */
void rt_log_batch(int on);
/* The access log's line for one request (info level; the caller checks the level), made
 * without printf: "METHOD TARGET STATUS BYTES bytes MS.UUU ms", method (first 32 bytes) and
 * target (first 512) escaped as rt_log_escape does. All strings borrowed. */
void rt_log_access(const char *request_id, const char *method, const char *target, int status,
                   unsigned long bytes, unsigned long long us);
void rt_log_flush(void);

#define RT_LOG(level, rid, ...)                                                                    \
  do {                                                                                             \
    if ((level) <= rt_log_threshold)                                                               \
      rt_log_write((level), (rid), __VA_ARGS__);                                                   \
  } while (0)
#define rt_log_error(...) RT_LOG(RT_LOG_ERROR, NULL, __VA_ARGS__)
#define rt_log_warn(...) RT_LOG(RT_LOG_WARN, NULL, __VA_ARGS__)
#define rt_log_info(...) RT_LOG(RT_LOG_INFO, NULL, __VA_ARGS__)
#define rt_log_debug(...) RT_LOG(RT_LOG_DEBUG, NULL, __VA_ARGS__)

/* Copies src into dst (size dstlen, always NUL-terminated) with CR, LF, other control
 * bytes, quotes and backslashes escaped as \n, \r, \xNN. Returns the length written. */
unsigned long rt_log_escape(char *dst, unsigned long dstlen, const char *src, unsigned long srclen);

#endif
