/* Serialising a response head; pure, unit-tested without sockets. */
#ifndef RT_HTTP_RESPONSE_H
#define RT_HTTP_RESPONSE_H

#include "http_internal.h"

typedef struct rt__http_head_info_s {
  int status;
  const char *date;         /* IMF-fixdate (borrowed) */
  const char *content_type; /* borrowed, or NULL for none */
  size_t content_length;    /* body length (also for HEAD) */
  const char *cors_origin;  /* the allowed Origin to echo (borrowed), or NULL */
  int close;                /* Connection: close */
  int keep_alive_http10;    /* Connection: keep-alive, for an HTTP/1.0 client that asked */
} rt__http_head_info_t;

/* Writes the status line and fields of r's response (its added headers included) into
 * its arena; returns the text (length in *len) or NULL when out of memory. */
char *rt__http_serialize_head(rt__http_req_t *r, const rt__http_head_info_t *info, size_t *len);

/* Non-zero when status forbids a body and Content-Length (1xx, 204, 304). */
int rt__http_status_bodiless(int status);

#endif
