#include "response.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "conn.h"
#include "roundtable/log.h"

const char *rt_http_status_text(int status) {
  switch (status) {
  case 100:
    return "Continue";
  case 200:
    return "OK";
  case 201:
    return "Created";
  case 202:
    return "Accepted";
  case 204:
    return "No Content";
  case 301:
    return "Moved Permanently";
  case 302:
    return "Found";
  case 303:
    return "See Other";
  case 304:
    return "Not Modified";
  case 307:
    return "Temporary Redirect";
  case 308:
    return "Permanent Redirect";
  case 400:
    return "Bad Request";
  case 401:
    return "Unauthorized";
  case 403:
    return "Forbidden";
  case 404:
    return "Not Found";
  case 405:
    return "Method Not Allowed";
  case 406:
    return "Not Acceptable";
  case 408:
    return "Request Timeout";
  case 409:
    return "Conflict";
  case 410:
    return "Gone";
  case 411:
    return "Length Required";
  case 412:
    return "Precondition Failed";
  case 413:
    return "Content Too Large";
  case 414:
    return "URI Too Long";
  case 415:
    return "Unsupported Media Type";
  case 416:
    return "Range Not Satisfiable";
  case 417:
    return "Expectation Failed";
  case 422:
    return "Unprocessable Content";
  case 425:
    return "Too Early";
  case 426:
    return "Upgrade Required";
  case 428:
    return "Precondition Required";
  case 429:
    return "Too Many Requests";
  case 431:
    return "Request Header Fields Too Large";
  case 500:
    return "Internal Server Error";
  case 501:
    return "Not Implemented";
  case 502:
    return "Bad Gateway";
  case 503:
    return "Service Unavailable";
  case 504:
    return "Gateway Timeout";
  case 505:
    return "HTTP Version Not Supported";
  default:
    break;
  }
  if (status >= 100 && status < 200)
    return "Informational";
  if (status >= 200 && status < 300)
    return "Success";
  if (status >= 300 && status < 400)
    return "Redirection";
  if (status >= 400 && status < 500)
    return "Client Error";
  return "Server Error";
}

int rt__http_status_bodiless(int status) {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

void rt__http_format_date(time_t t, char out[30]) {
  static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  struct tm tm;
  if (!gmtime_r(&t, &tm)) {
    memcpy(out, "Thu, 01 Jan 1970 00:00:00 GMT", 30);
    return;
  }
  /* Formatted by hand: strftime's %a and %b follow the locale. */
  int year = (tm.tm_year + 1900) % 10000;
  char *p = out;
  memcpy(p, days[tm.tm_wday % 7], 3), p += 3;
  *p++ = ',', *p++ = ' ';
  *p++ = (char)('0' + tm.tm_mday / 10), *p++ = (char)('0' + tm.tm_mday % 10), *p++ = ' ';
  memcpy(p, months[tm.tm_mon % 12], 3), p += 3;
  *p++ = ' ';
  *p++ = (char)('0' + year / 1000), *p++ = (char)('0' + year / 100 % 10);
  *p++ = (char)('0' + year / 10 % 10), *p++ = (char)('0' + year % 10), *p++ = ' ';
  *p++ = (char)('0' + tm.tm_hour / 10), *p++ = (char)('0' + tm.tm_hour % 10), *p++ = ':';
  *p++ = (char)('0' + tm.tm_min / 10), *p++ = (char)('0' + tm.tm_min % 10), *p++ = ':';
  *p++ = (char)('0' + tm.tm_sec / 10), *p++ = (char)('0' + tm.tm_sec % 10);
  memcpy(p, " GMT", 5);
}

/* Length of a valid UTF-8 sequence at s (at most n bytes), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  size_t len;
  unsigned min;
  unsigned cp;
  if (c < 0x80)
    return 1;
  if (c >= 0xc2 && c <= 0xdf)
    len = 2, cp = c & 0x1f, min = 0x80;
  else if (c >= 0xe0 && c <= 0xef)
    len = 3, cp = c & 0x0f, min = 0x800;
  else if (c >= 0xf0 && c <= 0xf4)
    len = 4, cp = c & 0x07, min = 0x10000;
  else
    return 0;
  if (len > n)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return len;
}

int rt__http_json_escape(rt_buf_t *out, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    /* Copy the longest run that needs no escaping in one append. */
    size_t start = i;
    while (i < n && p[i] >= 0x20 && p[i] < 0x80 && p[i] != '"' && p[i] != '\\')
      i++;
    if (i > start) {
      int rc = rt_buf_append(out, s + start, i - start);
      if (rc)
        return rc;
    }
    if (i >= n)
      break;
    unsigned char c = p[i];
    char esc[8];
    size_t elen = 0;
    if (c == '"' || c == '\\') {
      esc[0] = '\\', esc[1] = (char)c, elen = 2;
      i++;
    } else if (c < 0x20) {
      esc[0] = '\\';
      if (c == '\n')
        esc[1] = 'n', elen = 2;
      else if (c == '\r')
        esc[1] = 'r', elen = 2;
      else if (c == '\t')
        esc[1] = 't', elen = 2;
      else if (c == '\b')
        esc[1] = 'b', elen = 2;
      else if (c == '\f')
        esc[1] = 'f', elen = 2;
      else {
        memcpy(esc, "\\u00", 4);
        esc[4] = hex[c >> 4];
        esc[5] = hex[c & 15];
        elen = 6;
      }
      i++;
    } else {
      size_t seq = utf8_seq(p + i, n - i);
      if (seq) {
        memcpy(esc, s + i, seq);
        elen = seq;
        i += seq;
      } else {
        memcpy(esc, "\\ufffd", 6);
        elen = 6;
        i++;
      }
    }
    int rc = rt_buf_append(out, esc, elen);
    if (rc)
      return rc;
  }
  return 0;
}

int rt__http_problem_json(rt_buf_t *out, int status, const char *title, const char *detail) {
  if (!title)
    title = rt_http_status_text(status);
  if (!detail)
    detail = title;
  int rc = rt_buf_puts(out, "{\"type\":\"about:blank\",\"title\":\"");
  if (!rc)
    rc = rt__http_json_escape(out, title, strlen(title));
  if (!rc)
    rc = rt_buf_printf(out, "\",\"status\":%d,\"detail\":\"", status);
  if (!rc)
    rc = rt__http_json_escape(out, detail, strlen(detail));
  if (!rc)
    rc = rt_buf_puts(out, "\"}");
  return rc;
}

static int token_ok(const char *s) {
  if (!*s)
    return 0;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c <= 0x20 || c >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", c))
      return 0;
  }
  return 1;
}

static int value_ok(const char *s) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if ((c < 0x20 && c != '\t') || c == 0x7f)
      return 0;
  }
  return 1;
}

int rt_http_add_header(rt_http_request_t *req, const char *name, const char *value) {
  rt__http_req_t *r = rt__req(req);
  /* A CR or LF in a value would let a caller's data split the response. */
  if (!token_ok(name) || !value_ok(value))
    return RT_EINVAL;
  rt__http_resp_header_t *h = rt_arena_alloc(&req->arena, sizeof(*h));
  if (!h)
    return RT_ENOMEM;
  h->next = NULL;
  h->name = rt_arena_strdup(&req->arena, name);
  h->value = rt_arena_strdup(&req->arena, value);
  if (!h->name || !h->value)
    return RT_ENOMEM;
  *r->resp_tail = h;
  r->resp_tail = &h->next;
  return 0;
}

typedef struct head_writer {
  char *p;
  size_t left;
} head_writer_t;

static void put(head_writer_t *w, const char *s, size_t n) {
  if (n > w->left)
    n = w->left; /* cannot happen: the size was computed first */
  memcpy(w->p, s, n);
  w->p += n;
  w->left -= n;
}

static void puts_(head_writer_t *w, const char *s) { put(w, s, strlen(s)); }

static void field(head_writer_t *w, const char *name, const char *value) {
  puts_(w, name);
  put(w, ": ", 2);
  puts_(w, value);
  put(w, "\r\n", 2);
}

static const char cors_expose[] = "X-Request-Id, Retry-After, Location";

/* Every response, UI or API, carries these (docs/security.md): no inline script or style,
 * no framing, no type sniffing, no referrer. The UI is plain ES modules from 'self'. */
static const struct {
  const char *name, *value;
} security_headers[] = {
    {"Content-Security-Policy",
     "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "no-referrer"},
    {"X-Frame-Options", "DENY"},
};
#define SECURITY_HEADER_COUNT (sizeof(security_headers) / sizeof(security_headers[0]))
/* What a response says about caching when its handler said nothing: API answers carry
 * private data (contacts, tokens, sessions), so no cache may keep them. */
static const char default_cache_control[] = "no-store";

char *rt__http_serialize_head(rt__http_req_t *r, const rt__http_head_info_t *info, size_t *len) {
  size_t need = 128; /* status line, fixed names, CRLFs */
  need += strlen(info->date) + 20 + 40 + sizeof(r->pub.id);
  if (info->content_type)
    need += strlen(info->content_type) + 20;
  if (info->cors_origin)
    need += strlen(info->cors_origin) + 128 + sizeof(cors_expose);
  int cache_control = 0;
  for (const rt__http_resp_header_t *h = r->resp_headers; h; h = h->next) {
    need += strlen(h->name) + strlen(h->value) + 4;
    cache_control |= strcasecmp(h->name, "Cache-Control") == 0;
  }
  for (size_t i = 0; i < SECURITY_HEADER_COUNT; i++)
    need += strlen(security_headers[i].name) + strlen(security_headers[i].value) + 4;
  need += sizeof("Cache-Control: ") + sizeof(default_cache_control) + 2;
  char *buf = rt_arena_alloc(&r->pub.arena, need);
  if (!buf)
    return NULL;
  head_writer_t w = {buf, need};
  char line[64];
  int n = snprintf(line, sizeof(line), "HTTP/1.1 %03d ", info->status);
  put(&w, line, (size_t)n);
  puts_(&w, rt_http_status_text(info->status));
  put(&w, "\r\n", 2);
  field(&w, "Date", info->date);
  if (info->content_type && !rt__http_status_bodiless(info->status))
    field(&w, "Content-Type", info->content_type);
  if (!rt__http_status_bodiless(info->status)) {
    n = snprintf(line, sizeof(line), "%zu", info->content_length);
    field(&w, "Content-Length", line);
  }
  field(&w, "X-Request-Id", r->pub.id);
  for (const rt__http_resp_header_t *h = r->resp_headers; h; h = h->next)
    field(&w, h->name, h->value);
  if (!cache_control)
    field(&w, "Cache-Control", default_cache_control);
  for (size_t i = 0; i < SECURITY_HEADER_COUNT; i++)
    field(&w, security_headers[i].name, security_headers[i].value);
  if (info->cors_origin) {
    field(&w, "Access-Control-Allow-Origin", info->cors_origin);
    field(&w, "Vary", "Origin");
    field(&w, "Access-Control-Expose-Headers", cors_expose);
  }
  if (info->close)
    field(&w, "Connection", "close");
  else if (info->keep_alive_http10)
    field(&w, "Connection", "keep-alive");
  put(&w, "\r\n", 2);
  *len = need - w.left;
  return buf;
}

void rt_http_respond(rt_http_request_t *req, int status, const char *content_type, const char *body,
                     size_t len) {
  rt__http_req_t *r = rt__req(req);
  char *copy = NULL;
  if (len) {
    copy = rt_arena_alloc(&req->arena, len);
    if (!copy) {
      rt__http_conn_send(r, 503, NULL, NULL, 0);
      return;
    }
    memcpy(copy, body, len);
  }
  rt__http_conn_send(r, status, content_type, copy, len);
}

void rt_http_respond_buf(rt_http_request_t *req, int status, const char *content_type,
                         rt_buf_t *body) {
  rt__http_req_t *r = rt__req(req);
  rt_buf_free(&r->resp_body_owned);
  r->resp_body_owned = *body;
  rt_buf_init(body, body->max);
  rt__http_conn_send(r, status, content_type, r->resp_body_owned.data, r->resp_body_owned.len);
}

void rt_http_observe_response(rt_http_request_t *req, rt_http_response_observer cb, void *arg) {
  rt__http_req_t *r = rt__req(req);
  r->observe = cb;
  r->observe_arg = arg;
}

void rt_http_respond_problem(rt_http_request_t *req, int status, const char *title,
                             const char *detail) {
  rt_buf_t b;
  rt_buf_init(&b, 0);
  if (rt__http_problem_json(&b, status, title, detail) != 0) {
    rt_buf_free(&b);
    rt__http_conn_send(rt__req(req), status, NULL, NULL, 0);
    return;
  }
  rt_http_respond_buf(req, status, "application/problem+json", &b);
}

void rt_http_respond_method_not_allowed(rt_http_request_t *req, const char *allow) {
  char detail[256];
  if (rt_http_add_header(req, "Allow", allow) != 0)
    RT_LOG(RT_LOG_WARN, req->id, "http: bad Allow value");
  snprintf(detail, sizeof(detail), "The method %.32s is not allowed here; allowed: %.100s.",
           req->method_name ? req->method_name : "?", allow);
  rt_http_respond_problem(req, 405, "Method Not Allowed", detail);
}

int rt_http_request_peer(const rt_http_request_t *req, char *out, size_t outlen) {
  rt__http_conn_t *c = rt__conn_of(req);
  if (!outlen)
    return RT_EINVAL;
  out[0] = '\0';
  if (!c || c->state >= RT__CONN_CLOSING)
    return RT_ENOENT;
  return rt__http_conn_peer(c, out, outlen);
}

int rt__http_conn_peer(rt__http_conn_t *c, char *out, size_t outlen) {
  struct sockaddr_storage ss;
  int len = (int)sizeof(ss);
  if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len))
    return RT_EIO;
  int rc = ss.ss_family == AF_INET6 ? uv_ip6_name((const struct sockaddr_in6 *)&ss, out, outlen)
                                    : uv_ip4_name((const struct sockaddr_in *)&ss, out, outlen);
  if (rc) {
    out[0] = '\0';
    return RT_EIO;
  }
  /* An IPv4 client on a dual-stack socket: the address people know. */
  if (strncmp(out, "::ffff:", 7) == 0 && strchr(out + 7, '.'))
    memmove(out, out + 7, strlen(out + 7) + 1);
  return 0;
}
