#include "parser.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static rt__http_parser_t *parser_of(llhttp_t *ll) { return ll->data; }

/* A callback's failure: remembered so the caller reports our reason, not llhttp's. */
static int cb_fail(rt__http_parser_t *p, int status, const char *reason) {
  if (!p->status) {
    p->status = status;
    p->reason = reason;
  }
  llhttp_set_error_reason(&p->ll, reason);
  return HPE_USER;
}

static int scratch_append(llhttp_t *ll, const char *at, size_t len) {
  rt__http_parser_t *p = parser_of(ll);
  if (p->ll_head_done)
    return 0; /* trailer fields: framing is checked by the scanner; they are dropped */
  if (rt_buf_append(&p->scratch, at, len) != 0)
    return cb_fail(p, 503, "Out of memory.");
  return 0;
}

static int on_url_complete(llhttp_t *ll) {
  rt__http_parser_t *p = parser_of(ll);
  rt_http_request_t *req = &p->req->pub;
  const char *s = p->scratch.data ? p->scratch.data : "";
  size_t n = p->scratch.len;
  char *target = rt_arena_strndup(&req->arena, s, n);
  if (!target)
    return cb_fail(p, 503, "Out of memory.");
  const char *q = memchr(target, '?', n);
  size_t plen = q ? (size_t)(q - target) : n;
  char *path = rt_arena_strndup(&req->arena, target, plen);
  if (!path)
    return cb_fail(p, 503, "Out of memory.");
  req->target = target;
  req->path = path;
  req->path_len = plen;
  req->query = q ? q + 1 : NULL;
  rt_buf_clear(&p->scratch);
  return 0;
}

static int on_field_complete(llhttp_t *ll) {
  rt__http_parser_t *p = parser_of(ll);
  if (p->ll_head_done)
    return 0;
  if (p->nfields >= p->limits.max_header_fields)
    return cb_fail(p, 431, "Too many header fields.");
  rt_http_header_t *h = &p->fields[p->nfields];
  const char *s = p->scratch.data ? p->scratch.data : "";
  h->name = rt_arena_strndup(&p->req->pub.arena, s, p->scratch.len);
  if (!h->name)
    return cb_fail(p, 503, "Out of memory.");
  h->name_len = p->scratch.len;
  h->value = "";
  h->value_len = 0;
  rt_buf_clear(&p->scratch);
  return 0;
}

static int on_value_complete(llhttp_t *ll) {
  rt__http_parser_t *p = parser_of(ll);
  if (p->ll_head_done)
    return 0;
  rt_http_header_t *h = &p->fields[p->nfields];
  const char *s = p->scratch.data ? p->scratch.data : "";
  size_t n = p->scratch.len;
  /* llhttp drops leading OWS; the trailing OWS is not part of the value either. */
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
    n--;
  h->value = rt_arena_strndup(&p->req->pub.arena, s, n);
  if (!h->value)
    return cb_fail(p, 503, "Out of memory.");
  h->value_len = n;
  p->nfields++;
  rt_buf_clear(&p->scratch);
  return 0;
}

static rt_http_method_t method_of(uint8_t m) {
  switch (m) {
  case HTTP_GET:
    return RT_HTTP_GET;
  case HTTP_HEAD:
    return RT_HTTP_HEAD;
  case HTTP_POST:
    return RT_HTTP_POST;
  case HTTP_PUT:
    return RT_HTTP_PUT;
  case HTTP_PATCH:
    return RT_HTTP_PATCH;
  case HTTP_DELETE:
    return RT_HTTP_DELETE;
  case HTTP_OPTIONS:
    return RT_HTTP_OPTIONS;
  default:
    return RT_HTTP_OTHER;
  }
}

static int header_has_token(const char *v, const char *token) {
  size_t tl = strlen(token);
  while (*v) {
    while (*v == ' ' || *v == '\t' || *v == ',')
      v++;
    const char *start = v;
    while (*v && *v != ',')
      v++;
    const char *end = v;
    while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
      end--;
    if ((size_t)(end - start) == tl && strncasecmp(start, token, tl) == 0)
      return 1;
  }
  return 0;
}

static int on_headers_complete(llhttp_t *ll) {
  rt__http_parser_t *p = parser_of(ll);
  rt__http_req_t *r = p->req;
  rt_http_request_t *req = &r->pub;
  p->ll_head_done = 1;
  /* Framing must be what the scanner decided, byte for byte. */
  int ll_chunked = (ll->flags & F_CHUNKED) != 0;
  int sc_chunked = p->scan.framing == RT__FRAMING_CHUNKED;
  if (ll_chunked != sc_chunked)
    return cb_fail(p, 400, "Ambiguous message framing.");
  if (p->scan.framing == RT__FRAMING_LENGTH &&
      (!(ll->flags & F_CONTENT_LENGTH) || ll->content_length != p->scan.content_length))
    return cb_fail(p, 400, "Ambiguous message framing.");

  uint8_t m = llhttp_get_method(ll);
  req->method = method_of(m);
  req->method_name = llhttp_method_name((llhttp_method_t)m);
  r->http_minor = ll->http_minor;
  int conn_close = (ll->flags & F_CONNECTION_CLOSE) != 0;
  int conn_keep = (ll->flags & F_CONNECTION_KEEP_ALIVE) != 0;
  r->keep_alive = r->http_minor == 1 ? !conn_close : (conn_keep && !conn_close);

  if (p->nfields) {
    req->headers = rt_arena_alloc(&req->arena, p->nfields * sizeof(rt_http_header_t));
    if (!req->headers)
      return cb_fail(p, 503, "Out of memory.");
    memcpy(req->headers, p->fields, p->nfields * sizeof(rt_http_header_t));
  }
  req->nheaders = p->nfields;
  rt__http_req_assign_id(r);

  const char *expect = rt_http_header(req, "Expect");
  if (expect && p->scan.framing != RT__FRAMING_NONE && r->http_minor == 1 &&
      header_has_token(expect, "100-continue"))
    r->expect_continue = 1;

  size_t limit = p->body_limit ? p->body_limit(req) : 0;
  if (limit == 0 || limit > p->limits.max_body_bytes)
    limit = limit ? p->limits.max_body_bytes : p->body_default;
  if (p->scan.framing == RT__FRAMING_LENGTH && p->scan.content_length > limit)
    return cb_fail(p, 413, "The request body is larger than the limit.");
  /* Chunk sizes are checked against this request's limit as they are announced. */
  p->scan.body_limit = limit;
  if (p->scan.framing == RT__FRAMING_LENGTH) {
    r->body_fixed = rt_arena_alloc(&req->arena, (size_t)p->scan.content_length + 1);
    if (!r->body_fixed)
      return cb_fail(p, 503, "Out of memory.");
  } else if (p->scan.framing == RT__FRAMING_CHUNKED) {
    rt_buf_init(&r->body_chunked, limit);
  }
  return 0;
}

static int on_body(llhttp_t *ll, const char *at, size_t len) {
  rt__http_parser_t *p = parser_of(ll);
  rt__http_req_t *r = p->req;
  if (r->body_fixed) {
    if (len > p->scan.content_length - r->pub.body_len)
      return cb_fail(p, 400, "Ambiguous message framing.");
    memcpy(r->body_fixed + r->pub.body_len, at, len);
    r->pub.body_len += len;
    return 0;
  }
  int rc = rt_buf_append(&r->body_chunked, at, len);
  if (rc == RT_E2BIG)
    return cb_fail(p, 413, "The request body is larger than the limit.");
  if (rc)
    return cb_fail(p, 503, "Out of memory.");
  r->pub.body_len = r->body_chunked.len;
  return 0;
}

static int on_message_complete(llhttp_t *ll) {
  rt__http_parser_t *p = parser_of(ll);
  rt__http_req_t *r = p->req;
  p->ll_msg_done = 1;
  if (r->body_fixed) {
    r->body_fixed[r->pub.body_len] = '\0';
    r->pub.body = r->body_fixed;
  } else if (r->body_chunked.len) {
    r->pub.body = r->body_chunked.data;
  }
  if (r->pub.body_len == 0)
    r->pub.body = NULL;
  return 0;
}

static const llhttp_settings_t settings = {
    .on_url = scratch_append,
    .on_header_field = scratch_append,
    .on_header_value = scratch_append,
    .on_url_complete = on_url_complete,
    .on_header_field_complete = on_field_complete,
    .on_header_value_complete = on_value_complete,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

int rt__http_parser_init(rt__http_parser_t *p, const rt__http_limits_t *lim) {
  memset(p, 0, sizeof(*p));
  p->limits = *lim;
  p->body_default = lim->max_body_bytes;
  rt__http_scan_init(&p->scan, &p->limits);
  rt_buf_init(&p->scratch, lim->max_header_bytes);
  p->fields = calloc(lim->max_header_fields ? lim->max_header_fields : 1, sizeof(*p->fields));
  if (!p->fields)
    return RT_ENOMEM;
  return 0;
}

void rt__http_parser_free(rt__http_parser_t *p) {
  if (p->req)
    rt__http_req_free(p->req);
  p->req = NULL;
  rt_buf_free(&p->scratch);
  free(p->fields);
  p->fields = NULL;
}

rt__http_req_t *rt__http_parser_current(rt__http_parser_t *p) { return p->req; }

rt__http_req_t *rt__http_parser_take(rt__http_parser_t *p) {
  rt__http_req_t *r = p->req;
  p->req = NULL;
  return r;
}

rt__http_framing_t rt__http_parser_framing(const rt__http_parser_t *p) { return p->scan.framing; }

static int parse_fail(rt__http_parser_t *p, int status, const char *reason) {
  if (!p->status) {
    p->status = status;
    p->reason = reason ? reason : "Malformed request.";
  }
  return RT__SCAN_ERROR;
}

int rt__http_parser_feed(rt__http_parser_t *p, const char *data, size_t len, size_t *consumed) {
  *consumed = 0;
  if (p->status)
    return RT__SCAN_ERROR;
  if (len == 0)
    return RT__SCAN_MORE;
  if (!p->req) {
    p->req = rt__http_req_new();
    if (!p->req)
      return parse_fail(p, 503, "Out of memory.");
    p->req->pub.start_ns = uv_hrtime();
    p->req->pub.route = NULL;
    llhttp_init(&p->ll, HTTP_REQUEST, &settings);
    p->ll.data = p;
    p->ll_head_done = 0;
    p->ll_msg_done = 0;
    p->nfields = 0;
    rt_buf_clear(&p->scratch);
  }
  size_t n = 0;
  int ev = rt__http_scan(&p->scan, data, len, &n);
  *consumed = n;
  if (ev & RT__SCAN_ERROR)
    return parse_fail(p, p->scan.status, p->scan.reason);
  if (n) {
    llhttp_errno_t err = llhttp_execute(&p->ll, data, n);
    /* An Upgrade request ends llhttp's message with a pause; we answer it as plain
     * HTTP, and the next message gets a fresh llhttp anyway. */
    if (err == HPE_PAUSED_UPGRADE && p->ll_msg_done)
      err = HPE_OK;
    if (err != HPE_OK)
      return parse_fail(p, p->status ? p->status : 400,
                        p->reason ? p->reason : llhttp_get_error_reason(&p->ll));
  }
  if (p->status)
    return RT__SCAN_ERROR;
  if ((ev & RT__SCAN_HEAD) && !p->ll_head_done)
    return parse_fail(p, 400, "Ambiguous message framing.");
  if (p->ll_msg_done != ((ev & RT__SCAN_END) != 0))
    return parse_fail(p, 400, "Ambiguous message framing.");
  return ev;
}

int rt_http_parse_stream(const char *data, size_t len, size_t step) {
  static const rt__http_limits_t defaults = {
      .max_header_bytes = 16384,
      .max_header_fields = 100,
      .max_uri_bytes = 8192,
      .max_body_bytes = 1024 * 1024,
      .max_chunk_ext_bytes = 4096,
  };
  rt__http_parser_t p;
  if (rt__http_parser_init(&p, &defaults) != 0)
    return RT_ENOMEM;
  int requests = 0;
  int result = 0;
  size_t off = 0;
  while (off < len && !result) {
    size_t piece = step ? step : len - off;
    if (piece > len - off)
      piece = len - off;
    size_t done = 0;
    while (done < piece) {
      size_t n = 0;
      int ev = rt__http_parser_feed(&p, data + off + done, piece - done, &n);
      done += n;
      if (ev & RT__SCAN_ERROR) {
        result = -p.status;
        break;
      }
      if (ev & RT__SCAN_END) {
        rt__http_req_t *r = rt__http_parser_take(&p);
        /* What a handler relies on: a target, and a body exactly as long as it says. */
        if (!r->pub.target || !r->pub.path || (r->pub.body_len && !r->pub.body) ||
            (r->pub.body && r->pub.body[r->pub.body_len] != '\0'))
          result = RT_EINVAL;
        rt__http_req_free(r);
        requests++;
      }
    }
    off += piece;
  }
  rt__http_parser_free(&p);
  return result ? result : requests;
}
