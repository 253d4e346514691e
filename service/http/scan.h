/* The strict framing scanner: a byte-at-a-time state machine over the raw request
 * stream that refuses what RFC 9112 forbids and llhttp 8.1.0 lets through (bare LF,
 * obs-fold, other HTTP versions, whitespace before the colon, lone CR, duplicate
 * Content-Length, Transfer-Encoding other than "chunked", bad chunk sizes, control
 * bytes in values), enforces the size limits, and finds each message's boundaries
 * itself so that llhttp is only ever fed one whole message. No I/O, no allocation. */
#ifndef RT_HTTP_SCAN_H
#define RT_HTTP_SCAN_H

#include <stddef.h>
#include <stdint.h>

typedef struct rt__http_limits_s {
  size_t max_header_bytes;    /* request line + fields (and, separately, trailers) */
  size_t max_header_fields;   /* field lines (and, separately, trailer lines) */
  size_t max_uri_bytes;       /* request-target */
  size_t max_body_bytes;      /* Content-Length, or the running total of chunk sizes */
  size_t max_chunk_ext_bytes; /* bytes of chunk extensions in one message */
} rt__http_limits_t;

/* Events, a bitmask returned by rt__http_scan. */
enum {
  RT__SCAN_MORE = 0,  /* every byte consumed, message not finished */
  RT__SCAN_HEAD = 1,  /* stopped right after the empty line ending the head */
  RT__SCAN_END = 2,   /* stopped right after the last byte of the message */
  RT__SCAN_ERROR = 4, /* the stream is refused: see status and reason */
};

typedef enum rt__http_framing {
  RT__FRAMING_NONE = 0, /* no body */
  RT__FRAMING_LENGTH,   /* Content-Length bytes */
  RT__FRAMING_CHUNKED,  /* Transfer-Encoding: chunked */
} rt__http_framing_t;

typedef struct rt__http_scan_s {
  const rt__http_limits_t *lim; /* borrowed */
  int state;
  int in_trailer;          /* field states are reading trailers */
  int version_pos;         /* characters of "HTTP/1.x" matched */
  int http_minor;          /* 0 or 1 once the request line is read */
  size_t head_bytes;       /* of the current head or trailer section */
  size_t fields;           /* field lines in the current section */
  size_t uri_bytes;        /* request-target so far */
  size_t method_len;       /* request method so far */
  unsigned name_match;     /* candidate special field names still matching */
  size_t name_len;         /* bytes of the current field name */
  int field_kind;          /* which special field the current value belongs to */
  char value[64];          /* captured value of a special field (trimmed on use) */
  size_t value_len;        /* may exceed sizeof(value): then it did not fit */
  int n_content_length;    /* Content-Length fields seen */
  int n_transfer_encoding; /* Transfer-Encoding fields seen */
  int is_connect;          /* the method is CONNECT */
  uint64_t content_length; /* parsed value */
  rt__http_framing_t framing;
  uint64_t remaining;  /* body bytes, or bytes of the current chunk, still to come */
  uint64_t chunk_size; /* size being read on a chunk-size line */
  int chunk_digits;    /* hex digits on the chunk-size line */
  uint64_t body_total; /* body bytes declared so far (chunked) */
  size_t ext_bytes;    /* chunk extension bytes in this message */
  uint64_t body_limit; /* lim->max_body_bytes, or this message's own once its head is read */
  int status;          /* after RT__SCAN_ERROR: 400, 413, 414 or 431 */
  const char *reason;  /* after RT__SCAN_ERROR: static text for the problem detail */
} rt__http_scan_t;

/* Prepares s for the first message. lim is borrowed and must outlive s. */
void rt__http_scan_init(rt__http_scan_t *s, const rt__http_limits_t *lim);

/* Scans up to len bytes of data (borrowed). Stops after a head or a message ends so
 * that the caller can act at the boundary; *consumed says how far it got. Returns an
 * event mask; once it returned RT__SCAN_ERROR it keeps doing so. After RT__SCAN_END
 * the finished message's framing fields stay readable until bytes of the next one are
 * scanned. */
int rt__http_scan(rt__http_scan_t *s, const char *data, size_t len, size_t *consumed);

/* Non-zero while the scanner is between messages (nothing of the next one seen). */
int rt__http_scan_idle(const rt__http_scan_t *s);

#endif
