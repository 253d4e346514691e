/* The request parser: the strict scanner decides what is acceptable and where each
 * message ends; llhttp, fed exactly one message at a time, parses it into a request.
 * The two must agree on every boundary or the request is refused, so nothing can be
 * smuggled through a disagreement between them. Pure: no sockets, no loop; unit tests
 * and the fuzzer drive it with bytes. */
#ifndef RT_HTTP_PARSER_H
#define RT_HTTP_PARSER_H

#include <llhttp.h>

#include "http_internal.h"
#include "scan.h"

typedef struct rt__http_parser_s {
  llhttp_t ll;
  rt__http_scan_t scan;
  rt__http_limits_t limits;
  rt__http_req_t *req;      /* message being read (owned), NULL between messages */
  rt_buf_t scratch;         /* target, field name or value being assembled (capped) */
  rt_http_header_t *fields; /* limits.max_header_fields entries, reused */
  size_t nfields;
  int ll_head_done;    /* llhttp reached on_headers_complete */
  int ll_msg_done;     /* llhttp reached on_message_complete */
  size_t body_default; /* body limit when body_limit is NULL or says 0 */
  size_t (*body_limit)(const rt_http_request_t *req); /* hooks.body_limit, may be NULL */
  int status;         /* non-zero after an error: 400, 413, 414, 431, 503 */
  const char *reason; /* static detail for status */
} rt__http_parser_t;

/* lim is copied. Returns 0 or RT_ENOMEM. */
int rt__http_parser_init(rt__http_parser_t *p, const rt__http_limits_t *lim) RT_WUR;
/* Frees the parser and any partly read request. */
void rt__http_parser_free(rt__http_parser_t *p);

/* Parses data (borrowed) up to the next event (see RT__SCAN_*); *consumed says how many
 * bytes were used. On RT__SCAN_HEAD the current request (rt__http_parser_current) has
 * its method, target and fields; on RT__SCAN_END take it with rt__http_parser_take. On
 * RT__SCAN_ERROR, p->status and p->reason say why; the parser stays failed. */
int rt__http_parser_feed(rt__http_parser_t *p, const char *data, size_t len, size_t *consumed);

/* The request being parsed (borrowed), or NULL. */
rt__http_req_t *rt__http_parser_current(rt__http_parser_t *p);
/* Removes and returns the request being parsed (new to the caller), or NULL. */
rt__http_req_t *rt__http_parser_take(rt__http_parser_t *p);
/* Framing of the current request after RT__SCAN_HEAD. */
rt__http_framing_t rt__http_parser_framing(const rt__http_parser_t *p);

#endif
