/* Static files below the web root, read on the libuv thread pool so that the loop never
 * waits for the disk; and rt_http_offload, which uses the same pool for handlers. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conn.h"

#define STATIC_MAX_FILE (32u * 1024u * 1024u)

static int hexval(unsigned char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

int rt__http_static_path(const char *path, size_t n, char *out, size_t outlen, int *dir) {
  if (n == 0 || path[0] != '/' || outlen == 0)
    return RT_ENOENT;
  char dec[PATH_MAX];
  size_t d = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)path[i];
    if (c == '%') {
      int hi = i + 2 < n ? hexval((unsigned char)path[i + 1]) : -1;
      int lo = i + 2 < n ? hexval((unsigned char)path[i + 2]) : -1;
      if (hi < 0 || lo < 0)
        return RT_ENOENT;
      c = (unsigned char)(hi << 4 | lo);
      i += 2;
      /* An encoded '/' would hide a segment boundary from the checks below. */
      if (c == '/')
        return RT_ENOENT;
    }
    if (c < 0x20 || c == 0x7f || c == '\\')
      return RT_ENOENT;
    if (d + 1 >= sizeof(dec))
      return RT_ENOENT;
    dec[d++] = (char)c;
  }
  dec[d] = '\0';
  *dir = dec[d - 1] == '/';

  size_t o = 0;
  size_t i = 0;
  while (i < d) {
    while (i < d && dec[i] == '/')
      i++;
    size_t start = i;
    while (i < d && dec[i] != '/')
      i++;
    size_t len = i - start;
    if (len == 0)
      break;
    /* ".", ".." and hidden files (".git", ".env") are never served. */
    if (dec[start] == '.')
      return RT_ENOENT;
    if (o + (o ? 1 : 0) + len + 1 > outlen)
      return RT_ENOENT;
    if (o)
      out[o++] = '/';
    memcpy(out + o, dec + start, len);
    o += len;
  }
  out[o] = '\0';
  if (o == 0)
    *dir = 1;
  return 0;
}

const char *rt__http_content_type(const char *name) {
  static const struct {
    const char *ext;
    const char *type;
  } types[] = {
      {"html", "text/html; charset=utf-8"},
      {"htm", "text/html; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"json", "application/json"},
      {"map", "application/json"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"ico", "image/x-icon"},
      {"woff2", "font/woff2"},
      {"woff", "font/woff"},
      {"txt", "text/plain; charset=utf-8"},
      {"md", "text/markdown; charset=utf-8"},
      {"csv", "text/csv; charset=utf-8"},
      {"webmanifest", "application/manifest+json"},
      {"wasm", "application/wasm"},
      {"pdf", "application/pdf"},
  };
  const char *slash = strrchr(name, '/');
  const char *base = slash ? slash + 1 : name;
  const char *dot = strrchr(base, '.');
  if (dot && dot != base) {
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
      if (strcasecmp(dot + 1, types[i].ext) == 0)
        return types[i].type;
  }
  return "application/octet-stream";
}

typedef struct static_job {
  uv_work_t work;
  rt__http_req_t *r;
  const rt__http_server_t *srv;
  const char *rel; /* sanitised relative path (arena) */
  int want_dir;    /* the request path ended in '/' */
  const char *inm; /* If-None-Match (arena), or NULL */
  int head_only;   /* HEAD: no need to read the file */
  /* results, written on the pool thread, read on the loop after it */
  int status; /* 200, 304, 301 or 404 */
  char etag[64];
  const char *ctype;
  size_t size;
  rt_buf_t body;
} static_job_t;

static int under_root(const rt__http_server_t *srv, const char *real) {
  return strncmp(real, srv->web_root_real, srv->web_root_len) == 0 &&
         (real[srv->web_root_len] == '/' || real[srv->web_root_len] == '\0');
}

/* Weak comparison (RFC 9110 13.1.2): W/ prefixes are ignored. */
static int etag_matches(const char *inm, const char *etag) {
  const char *p = inm;
  size_t elen = strlen(etag);
  while (*p) {
    while (*p == ' ' || *p == '\t' || *p == ',')
      p++;
    if (*p == '*')
      return 1;
    if (strncmp(p, "W/", 2) == 0)
      p += 2;
    const char *start = p;
    if (*p == '"') {
      p++;
      while (*p && *p != '"')
        p++;
      if (*p == '"')
        p++;
    } else {
      while (*p && *p != ',')
        p++;
    }
    if ((size_t)(p - start) == elen && strncmp(start, etag, elen) == 0)
      return 1;
    while (*p && *p != ',')
      p++;
  }
  return 0;
}

/* On a pool thread: resolve, check, and read the file. Touches only the job. */
static void static_work(uv_work_t *w) {
  static_job_t *job = w->data;
  const rt__http_server_t *srv = job->srv;
  char full[PATH_MAX];
  char *real = NULL;
  int fd = -1;
  job->status = 404;
  int n = snprintf(full, sizeof(full), "%s/%s", srv->web_root_real, job->rel);
  if (n < 0 || (size_t)n >= sizeof(full))
    return;
  real = realpath(full, NULL);
  if (!real || !under_root(srv, real))
    goto out;
  struct stat st;
  if (stat(real, &st) != 0)
    goto out;
  if (S_ISDIR(st.st_mode)) {
    if (!job->want_dir) {
      job->status = 301; /* so that relative links in its index resolve below it */
      goto out;
    }
    n = snprintf(full, sizeof(full), "%s/index.html", real);
    free(real);
    real = NULL;
    if (n < 0 || (size_t)n >= sizeof(full))
      goto out;
    real = realpath(full, NULL);
    if (!real || !under_root(srv, real))
      goto out;
  }
  fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      (unsigned long long)st.st_size > STATIC_MAX_FILE)
    goto out;
  snprintf(job->etag, sizeof(job->etag), "\"%llx-%llx\"", (unsigned long long)st.st_size,
           (unsigned long long)st.st_mtim.tv_sec * 1000000000ull +
               (unsigned long long)st.st_mtim.tv_nsec);
  job->ctype = rt__http_content_type(real);
  job->size = (size_t)st.st_size;
  if (job->inm && etag_matches(job->inm, job->etag)) {
    job->status = 304;
    goto out;
  }
  if (!job->head_only) {
    if (rt_buf_reserve(&job->body, job->size) != 0)
      goto out;
    while (job->body.len < job->size) {
      ssize_t got = read(fd, job->body.data + job->body.len, job->size - job->body.len);
      if (got < 0 && errno == EINTR)
        continue;
      if (got <= 0)
        break; /* shrank meanwhile: send what is there, consistently with its length */
      job->body.len += (size_t)got;
    }
    job->body.data[job->body.len] = '\0';
    job->size = job->body.len;
  }
  job->status = 200;
out:
  if (fd >= 0)
    close(fd);
  free(real);
}

/* Percent-encodes what a Location path should not carry raw. */
static char *location_for(rt_arena_t *a, const char *rel) {
  static const char hex[] = "0123456789ABCDEF";
  size_t n = strlen(rel);
  char *out = rt_arena_alloc(a, 3 * n + 3);
  if (!out)
    return NULL;
  size_t o = 0;
  out[o++] = '/';
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)rel[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
        strchr("-._~/!$&'()*+,;=:@", c)) {
      out[o++] = (char)c;
    } else {
      out[o++] = '%';
      out[o++] = hex[c >> 4];
      out[o++] = hex[c & 15];
    }
  }
  out[o++] = '/';
  out[o] = '\0';
  return out;
}

static void static_after(uv_work_t *w, int status) {
  static_job_t *job = w->data;
  rt_http_request_t *req = &job->r->pub;
  if (status < 0)
    job->status = 404;
  switch (job->status) {
  case 200:
  case 304:
    if (rt_http_add_header(req, "ETag", job->etag) ||
        rt_http_add_header(req, "Cache-Control",
                           strncmp(job->ctype, "text/html", 9) == 0 ? "no-cache"
                                                                    : "public, max-age=300")) {
      rt_buf_free(&job->body);
      rt_http_respond_problem(req, 503, "Service Unavailable", "Out of memory.");
      return;
    }
    if (job->status == 304) {
      rt__http_conn_send(job->r, 304, NULL, NULL, 0);
    } else if (job->head_only) {
      rt__http_conn_send(job->r, 200, job->ctype, NULL, job->size);
    } else {
      rt_http_respond_buf(req, 200, job->ctype, &job->body);
    }
    break;
  case 301: {
    char *loc = location_for(&req->arena, job->rel);
    if (!loc || rt_http_add_header(req, "Location", loc)) {
      rt_http_respond_problem(req, 503, "Service Unavailable", "Out of memory.");
      return;
    }
    rt_http_respond(req, 301, NULL, NULL, 0);
    break;
  }
  default:
    rt_buf_free(&job->body);
    rt_http_respond_problem(req, 404, "Not Found", "No such file.");
    break;
  }
}

void rt_http_serve_static(rt_http_request_t *req) {
  rt__http_req_t *r = rt__req(req);
  rt__http_conn_t *c = rt__conn_of(req);
  if (!req->route)
    req->route = "static";
  if (req->method != RT_HTTP_GET && req->method != RT_HTTP_HEAD) {
    rt_http_respond_method_not_allowed(req, "GET, HEAD");
    return;
  }
  const rt__http_server_t *srv = c ? c->worker->server : NULL;
  if (!srv || !srv->web_root_real) {
    rt_http_respond_problem(req, 404, "Not Found", "No such file.");
    return;
  }
  static_job_t *job = rt_arena_alloc(&req->arena, sizeof(*job));
  char *rel = rt_arena_alloc(&req->arena, PATH_MAX);
  if (!job || !rel) {
    rt_http_respond_problem(req, 503, "Service Unavailable", "Out of memory.");
    return;
  }
  memset(job, 0, sizeof(*job));
  if (rt__http_static_path(req->path, req->path_len, rel, PATH_MAX, &job->want_dir) != 0) {
    rt_http_respond_problem(req, 404, "Not Found", "No such file.");
    return;
  }
  job->r = r;
  job->srv = srv;
  job->rel = rel;
  job->inm = rt_http_header(req, "If-None-Match");
  job->head_only = req->method == RT_HTTP_HEAD;
  rt_buf_init(&job->body, STATIC_MAX_FILE);
  job->work.data = job;
  if (uv_queue_work(&c->worker->loop, &job->work, static_work, static_after) != 0)
    rt_http_respond_problem(req, 503, "Service Unavailable", "The file could not be read.");
}

/* --- rt_http_offload --- */

typedef struct offload_job {
  uv_work_t work;
  rt__http_req_t *r;
  void (*fn)(void *arg);
  void (*done)(rt_http_request_t *req, void *arg);
  void *arg;
} offload_job_t;

static void offload_work(uv_work_t *w) {
  offload_job_t *job = w->data;
  job->fn(job->arg);
}

static void offload_after(uv_work_t *w, int status) {
  (void)status; /* never cancelled: the request waits for its work either way */
  offload_job_t *job = w->data;
  job->done(&job->r->pub, job->arg);
}

int rt_http_offload(rt_http_request_t *req, void (*work)(void *arg),
                    void (*done)(rt_http_request_t *req, void *arg), void *arg) {
  rt__http_conn_t *c = rt__conn_of(req);
  if (!c || !work || !done)
    return RT_EINVAL;
  offload_job_t *job = rt_arena_alloc(&req->arena, sizeof(*job));
  if (!job)
    return RT_ENOMEM;
  job->r = rt__req(req);
  job->fn = work;
  job->done = done;
  job->arg = arg;
  job->work.data = job;
  return uv_queue_work(&c->worker->loop, &job->work, offload_work, offload_after);
}
