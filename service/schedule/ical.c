/* iCalendar (RFC 5545) lines for the schedule's export: TEXT escaping, folding at 75 octets
 * without splitting a UTF-8 character, CRLF endings, UTC date-times. */
#include <string.h>

#include "roundtable/schedule.h"

/* Appends line[0..n) folded: at most 75 octets per physical line, continuations start with a
 * space (which counts), never inside a UTF-8 sequence. */
static int fold(rt_buf_t *out, const char *line, size_t n) {
  size_t width = 75, i = 0;
  int rc = 0;
  while (!rc && n - i > width) {
    size_t cut = i + width;
    while (cut > i && ((unsigned char)line[cut] & 0xC0) == 0x80)
      cut--;
    rc = rt_buf_append(out, line + i, cut - i);
    if (!rc)
      rc = rt_buf_append(out, "\r\n ", 3);
    i = cut;
    width = 74;
  }
  if (!rc)
    rc = rt_buf_append(out, line + i, n - i);
  if (!rc)
    rc = rt_buf_append(out, "\r\n", 2);
  return rc;
}

int rt_ical_line(rt_buf_t *out, const char *line) { return fold(out, line, strlen(line)); }

int rt_ical_text(rt_buf_t *out, const char *name, const char *value) {
  rt_buf_t line;
  rt_buf_init(&line, 0);
  int rc = rt_buf_puts(&line, name);
  if (!rc)
    rc = rt_buf_append(&line, ":", 1);
  for (const char *p = value ? value : ""; *p && !rc; p++) {
    switch (*p) {
    case '\\':
      rc = rt_buf_append(&line, "\\\\", 2);
      break;
    case ';':
      rc = rt_buf_append(&line, "\\;", 2);
      break;
    case ',':
      rc = rt_buf_append(&line, "\\,", 2);
      break;
    case '\n':
      rc = rt_buf_append(&line, "\\n", 2);
      break;
    case '\r':
      break;
    default:
      /* Other control characters are not allowed in TEXT: a space stands in. */
      rc = rt_buf_append(&line, (unsigned char)*p < 0x20 || *p == 0x7f ? " " : p, 1);
    }
  }
  if (!rc)
    rc = fold(out, line.data, line.len);
  rt_buf_free(&line);
  return rc;
}

int rt_ical_utc(const char *rfc3339, char out[17]) {
  /* "2024-05-10T09:00:00[.fff]Z" -> "20240510T090000Z" */
  static const char shape[] = "dddd-dd-ddTdd:dd:dd";
  size_t o = 0;
  for (size_t i = 0; i < sizeof(shape) - 1; i++) {
    char c = rfc3339 ? rfc3339[i] : '\0';
    if (shape[i] == 'd') {
      if (c < '0' || c > '9')
        return RT_EINVAL;
      out[o++] = c;
    } else if (c != shape[i]) {
      return RT_EINVAL;
    } else if (c == 'T') {
      out[o++] = 'T';
    }
  }
  const char *rest = rfc3339 + sizeof(shape) - 1;
  if (*rest == '.')
    for (rest++; *rest >= '0' && *rest <= '9'; rest++)
      ;
  if (strcmp(rest, "Z") != 0)
    return RT_EINVAL;
  out[o++] = 'Z';
  out[o] = '\0';
  return 0;
}
