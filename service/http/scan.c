#include "scan.h"

#include <string.h>

enum scan_state {
  S_START,        /* before a request line; empty lines (CRLF) are skipped */
  S_START_LF,     /* CR of an empty line seen */
  S_METHOD,       /* method token */
  S_TARGET_START, /* SP after the method seen */
  S_TARGET,       /* request-target */
  S_VERSION,      /* "HTTP/1.x" */
  S_LINE_LF,      /* CR ending the request line seen */
  S_FIELD_START,  /* start of a field line, or of the empty line ending the section */
  S_FIELD_NAME,   /* field name token */
  S_FIELD_VALUE,  /* field value */
  S_FIELD_LF,     /* CR ending a field line seen */
  S_HEAD_LF,      /* CR of the empty line seen */
  S_BODY,         /* Content-Length body */
  S_CHUNK_SIZE,   /* hex digits */
  S_CHUNK_EXT,    /* chunk extensions, up to CR */
  S_CHUNK_LF,     /* CR ending a chunk-size line seen */
  S_CHUNK_DATA,   /* chunk bytes */
  S_CHUNK_CR,     /* CR after chunk data expected */
  S_CHUNK_DATA_LF,
  S_DONE, /* a message ended; its framing stays readable until the next one starts */
  S_ERROR,
};

/* Fields that decide framing; the scanner reads them itself and never trusts llhttp's
 * reading alone. */
enum { F_NONE = 0, F_CONTENT_LENGTH = 1, F_TRANSFER_ENCODING = 2 };
static const char *const special_names[] = {NULL, "content-length", "transfer-encoding"};
#define SPECIAL_ALL 0x6u /* bits 1 and 2 */

/* tchar from RFC 9110 5.6.2 */
static const unsigned char tchar[256] = {
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1, ['+'] = 1,
    ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1,  ['~'] = 1, ['0'] = 1,
    ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,  ['7'] = 1, ['8'] = 1,
    ['9'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1,  ['F'] = 1, ['G'] = 1,
    ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1,  ['N'] = 1, ['O'] = 1,
    ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1,  ['V'] = 1, ['W'] = 1,
    ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1,  ['d'] = 1, ['e'] = 1,
    ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1,  ['l'] = 1, ['m'] = 1,
    ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1,  ['t'] = 1, ['u'] = 1,
    ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

#define MAX_METHOD_BYTES 32

static int hexval(unsigned char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* field-vchar / SP / HTAB: visible ASCII, obs-text, blanks. NUL, other controls and DEL
 * are refused. */
static int value_byte_ok(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

static int fail(rt__http_scan_t *s, int status, const char *reason) {
  s->state = S_ERROR;
  s->status = status;
  s->reason = reason;
  return RT__SCAN_ERROR;
}

static void begin_message(rt__http_scan_t *s) {
  const rt__http_limits_t *lim = s->lim;
  memset(s, 0, sizeof(*s));
  s->lim = lim;
  s->body_limit = lim->max_body_bytes;
  s->state = S_START;
}

void rt__http_scan_init(rt__http_scan_t *s, const rt__http_limits_t *lim) {
  s->lim = lim;
  begin_message(s);
}

int rt__http_scan_idle(const rt__http_scan_t *s) {
  return s->state == S_DONE || (s->state == S_START && s->head_bytes == 0);
}

/* Trims OWS (SP / HTAB) from both ends of the captured value. */
static void captured_value(const rt__http_scan_t *s, const char **v, size_t *n) {
  const char *p = s->value;
  size_t len = s->value_len;
  while (len && (*p == ' ' || *p == '\t'))
    p++, len--;
  while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
    len--;
  *v = p;
  *n = len;
}

/* A field line ended; act on the fields that decide framing. */
static int end_field(rt__http_scan_t *s) {
  if (s->in_trailer || s->field_kind == F_NONE)
    return 0;
  if (s->value_len > sizeof(s->value))
    return fail(s, 400,
                s->field_kind == F_CONTENT_LENGTH ? "Invalid Content-Length."
                                                  : "Unsupported Transfer-Encoding.");
  const char *v;
  size_t n;
  captured_value(s, &v, &n);
  if (s->field_kind == F_CONTENT_LENGTH) {
    if (++s->n_content_length > 1)
      return fail(s, 400, "More than one Content-Length.");
    if (n == 0)
      return fail(s, 400, "Invalid Content-Length.");
    uint64_t cl = 0;
    for (size_t i = 0; i < n; i++) {
      if (v[i] < '0' || v[i] > '9')
        return fail(s, 400, "Invalid Content-Length.");
      if (cl > (UINT64_MAX - 9) / 10)
        return fail(s, 400, "Invalid Content-Length.");
      cl = cl * 10 + (uint64_t)(v[i] - '0');
    }
    s->content_length = cl;
  } else {
    if (++s->n_transfer_encoding > 1)
      return fail(s, 400, "More than one Transfer-Encoding.");
    static const char chunked[] = "chunked";
    if (n != sizeof(chunked) - 1)
      return fail(s, 400, "Unsupported Transfer-Encoding.");
    for (size_t i = 0; i < n; i++) {
      char c = v[i];
      if (c >= 'A' && c <= 'Z')
        c = (char)(c - 'A' + 'a');
      if (c != chunked[i])
        return fail(s, 400, "Unsupported Transfer-Encoding.");
    }
  }
  return 0;
}

/* The empty line after the fields: decide the framing of the body. */
static int end_head(rt__http_scan_t *s) {
  if (s->n_transfer_encoding && s->n_content_length)
    return fail(s, 400, "Content-Length together with Transfer-Encoding.");
  if (s->n_transfer_encoding && s->http_minor == 0)
    return fail(s, 400, "Transfer-Encoding in an HTTP/1.0 request.");
  if (s->is_connect)
    return fail(s, 400, "CONNECT is not supported.");
  if (s->n_transfer_encoding) {
    s->framing = RT__FRAMING_CHUNKED;
    s->state = S_CHUNK_SIZE;
    return RT__SCAN_HEAD;
  }
  if (s->n_content_length && s->content_length > 0) {
    if (s->content_length > s->body_limit)
      return fail(s, 413, "The request body is larger than the limit.");
    s->framing = RT__FRAMING_LENGTH;
    s->remaining = s->content_length;
    s->state = S_BODY;
    return RT__SCAN_HEAD;
  }
  s->framing = RT__FRAMING_NONE;
  return RT__SCAN_HEAD | RT__SCAN_END;
}

static int head_byte(rt__http_scan_t *s) {
  if (++s->head_bytes > s->lim->max_header_bytes)
    return fail(s, 431,
                s->in_trailer ? "The trailer section is larger than the limit."
                              : "The request line and header fields are larger than the limit.");
  return 0;
}

int rt__http_scan(rt__http_scan_t *s, const char *data, size_t len, size_t *consumed) {
  static const char version[] = "HTTP/1.";
  size_t i = 0;
  int ev = RT__SCAN_MORE;
  if (s->state == S_ERROR) {
    *consumed = 0;
    return RT__SCAN_ERROR;
  }
  if (s->state == S_DONE && len > 0)
    begin_message(s);
  while (i < len) {
    unsigned char c = (unsigned char)data[i];
    switch (s->state) {
    case S_BODY: {
      size_t n = len - i;
      if ((uint64_t)n > s->remaining)
        n = (size_t)s->remaining;
      s->remaining -= n;
      i += n;
      if (s->remaining == 0) {
        ev = RT__SCAN_END;
        goto out;
      }
      continue;
    }
    case S_CHUNK_DATA: {
      size_t n = len - i;
      if ((uint64_t)n > s->remaining)
        n = (size_t)s->remaining;
      s->remaining -= n;
      i += n;
      if (s->remaining == 0)
        s->state = S_CHUNK_CR;
      continue;
    }
    default:
      break;
    }

    /* Everything else goes byte by byte; the head states count against the limit. */
    if (s->state <= S_HEAD_LF && (ev = head_byte(s)) != 0)
      goto out;
    switch (s->state) {
    case S_START:
      if (c == '\r')
        s->state = S_START_LF;
      else if (tchar[c]) {
        s->state = S_METHOD;
        s->method_len = 1;
        s->is_connect = c == 'C';
      } else {
        ev = fail(s, 400, c == '\n' ? "Bare LF line ending." : "Malformed request line.");
        goto out;
      }
      break;
    case S_START_LF:
      if (c != '\n') {
        ev = fail(s, 400, "CR not followed by LF.");
        goto out;
      }
      s->state = S_START;
      break;
    case S_METHOD:
      if (c == ' ') {
        if (s->is_connect && s->method_len != 7)
          s->is_connect = 0;
        s->state = S_TARGET_START;
      } else if (tchar[c] && ++s->method_len <= MAX_METHOD_BYTES) {
        static const char connect[] = "CONNECT";
        if (s->is_connect && (s->method_len > 7 || connect[s->method_len - 1] != (char)c))
          s->is_connect = 0;
      } else {
        ev = fail(s, 400, "Malformed request method.");
        goto out;
      }
      break;
    case S_TARGET_START:
    case S_TARGET:
      if (c == ' ' && s->state == S_TARGET) {
        s->state = S_VERSION;
        s->version_pos = 0;
      } else if (c > 0x20 && c < 0x7f) {
        s->state = S_TARGET;
        if (++s->uri_bytes > s->lim->max_uri_bytes) {
          ev = fail(s, 414, "The request target is longer than the limit.");
          goto out;
        }
      } else {
        ev = fail(s, 400, "Malformed request target.");
        goto out;
      }
      break;
    case S_VERSION:
      if (s->version_pos < 7) {
        if ((char)c != version[s->version_pos]) {
          ev = fail(s, 400, "Unsupported HTTP version.");
          goto out;
        }
        s->version_pos++;
      } else if (s->version_pos == 7) {
        if (c != '0' && c != '1') {
          ev = fail(s, 400, "Unsupported HTTP version.");
          goto out;
        }
        s->http_minor = c - '0';
        s->version_pos++;
      } else if (c == '\r') {
        s->state = S_LINE_LF;
      } else {
        ev = fail(s, 400, c == '\n' ? "Bare LF line ending." : "Unsupported HTTP version.");
        goto out;
      }
      break;
    case S_LINE_LF:
    case S_FIELD_LF:
      if (c != '\n') {
        ev = fail(s, 400, "CR not followed by LF.");
        goto out;
      }
      if (s->state == S_FIELD_LF && (ev = end_field(s)) != 0)
        goto out;
      s->state = S_FIELD_START;
      break;
    case S_FIELD_START:
      if (c == '\r') {
        s->state = S_HEAD_LF;
      } else if (tchar[c]) {
        if (++s->fields > s->lim->max_header_fields) {
          ev = fail(s, 431, s->in_trailer ? "Too many trailer fields." : "Too many header fields.");
          goto out;
        }
        s->state = S_FIELD_NAME;
        s->name_len = 0;
        s->name_match = SPECIAL_ALL;
        s->field_kind = F_NONE;
        s->value_len = 0;
        goto name_char;
      } else {
        ev = fail(s, 400,
                  c == ' ' || c == '\t' ? "Obsolete line folding."
                  : c == '\n'           ? "Bare LF line ending."
                                        : "Malformed header field.");
        goto out;
      }
      break;
    case S_FIELD_NAME:
      if (c == ':') {
        for (int k = 1; k <= 2; k++)
          if ((s->name_match & (1u << k)) && special_names[k][s->name_len] == '\0')
            s->field_kind = k;
        s->state = S_FIELD_VALUE;
        break;
      }
      if (!tchar[c]) {
        ev = fail(s, 400,
                  c == ' ' || c == '\t' ? "Whitespace between header field name and colon."
                                        : "Malformed header field name.");
        goto out;
      }
    name_char:
      if (s->name_match) {
        unsigned char lc = (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
        for (int k = 1; k <= 2; k++) {
          if (!(s->name_match & (1u << k)))
            continue;
          /* special_names[k] is NUL-terminated, so reading name_len stops at the end. */
          if (special_names[k][s->name_len] != (char)lc)
            s->name_match &= ~(1u << k);
        }
      }
      s->name_len++;
      break;
    case S_FIELD_VALUE:
      if (c == '\r') {
        s->state = S_FIELD_LF;
      } else if (value_byte_ok(c)) {
        if (s->field_kind != F_NONE) {
          if (s->value_len < sizeof(s->value))
            s->value[s->value_len] = (char)c;
          /* Leading blanks are not content; keep them out of the count that decides
           * whether the value fitted. */
          if (s->value_len > 0 || (c != ' ' && c != '\t'))
            s->value_len++;
        }
      } else {
        ev = fail(s, 400,
                  c == '\n' ? "Bare LF line ending." : "Control character in a header value.");
        goto out;
      }
      break;
    case S_HEAD_LF:
      if (c != '\n') {
        ev = fail(s, 400, "CR not followed by LF.");
        goto out;
      }
      i++;
      if (s->in_trailer) {
        ev = RT__SCAN_END;
      } else {
        ev = end_head(s);
        if (ev & RT__SCAN_ERROR)
          goto out;
      }
      if (ev & RT__SCAN_END)
        s->state = S_DONE;
      *consumed = i;
      return ev;
    case S_CHUNK_SIZE: {
      int h = hexval(c);
      if (h >= 0) {
        if (++s->chunk_digits > 16) {
          ev = fail(s, 400, "Invalid chunk size.");
          goto out;
        }
        s->chunk_size = (s->chunk_size << 4) | (uint64_t)h;
        break;
      }
      if (s->chunk_digits == 0 || (c != ';' && c != '\r')) {
        ev = fail(s, 400, c == '\n' ? "Bare LF line ending." : "Invalid chunk size.");
        goto out;
      }
      if (s->chunk_size > s->body_limit - s->body_total) {
        ev = fail(s, 413, "The request body is larger than the limit.");
        goto out;
      }
      s->body_total += s->chunk_size;
      s->state = c == ';' ? S_CHUNK_EXT : S_CHUNK_LF;
      if (c == ';' && ++s->ext_bytes > s->lim->max_chunk_ext_bytes) {
        ev = fail(s, 400, "Chunk extensions are longer than the limit.");
        goto out;
      }
      break;
    }
    case S_CHUNK_EXT:
      if (c == '\r') {
        s->state = S_CHUNK_LF;
      } else if (value_byte_ok(c)) {
        if (++s->ext_bytes > s->lim->max_chunk_ext_bytes) {
          ev = fail(s, 400, "Chunk extensions are longer than the limit.");
          goto out;
        }
      } else {
        ev = fail(s, 400,
                  c == '\n' ? "Bare LF line ending." : "Control character in a chunk extension.");
        goto out;
      }
      break;
    case S_CHUNK_LF:
      if (c != '\n') {
        ev = fail(s, 400, "CR not followed by LF.");
        goto out;
      }
      if (s->chunk_size == 0) {
        s->in_trailer = 1;
        s->head_bytes = 0;
        s->fields = 0;
        s->state = S_FIELD_START;
      } else {
        s->remaining = s->chunk_size;
        s->state = S_CHUNK_DATA;
      }
      s->chunk_size = 0;
      s->chunk_digits = 0;
      break;
    case S_CHUNK_CR:
      if (c != '\r') {
        ev = fail(s, 400, c == '\n' ? "Bare LF line ending." : "Chunk data longer than its size.");
        goto out;
      }
      s->state = S_CHUNK_DATA_LF;
      break;
    case S_CHUNK_DATA_LF:
      if (c != '\n') {
        ev = fail(s, 400, "CR not followed by LF.");
        goto out;
      }
      s->state = S_CHUNK_SIZE;
      break;
    default:
      ev = fail(s, 400, "Malformed request.");
      goto out;
    }
    i++;
  }
out:
  if (ev & RT__SCAN_END)
    s->state = S_DONE;
  *consumed = i;
  return ev;
}
