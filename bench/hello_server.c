/* The ceiling of our stack: a minimal libuv + llhttp server that answers every request
 * with the same small JSON body, keep-alive and pipelining included, one loop per
 * thread on a SO_REUSEPORT port like the service. Nothing else: no routing, no limits,
 * no logging. Benchmarks compare the service's /healthz against it.
 *
 * Usage: hello_server PORT [THREADS]   (stop it with SIGINT or SIGTERM)
 */
#include <arpa/inet.h>
#include <llhttp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

static const char response[] = "HTTP/1.1 200 OK\r\n"
                               "Content-Type: application/json\r\n"
                               "Content-Length: 15\r\n"
                               "\r\n"
                               "{\"status\":\"ok\"}";

typedef struct client {
  uv_tcp_t tcp;
  llhttp_t parser;
  int pending; /* responses owed for requests completed in the current read */
} client_t;

static llhttp_settings_t settings;
static int port;

static void on_close(uv_handle_t *h) { free(h); }

static void on_write(uv_write_t *w, int status) {
  (void)status;
  free(w);
}

static int on_message_complete(llhttp_t *p) {
  ((client_t *)p->data)->pending++;
  return 0;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)h;
  static _Thread_local char slab[65536];
  (void)suggested;
  buf->base = slab;
  buf->len = sizeof(slab);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  client_t *c = (client_t *)s;
  if (nread < 0) {
    uv_close((uv_handle_t *)s, on_close);
    return;
  }
  if (llhttp_execute(&c->parser, buf->base, (size_t)nread) != HPE_OK) {
    uv_close((uv_handle_t *)s, on_close);
    return;
  }
  if (c->pending == 0)
    return;
  /* One write for all the requests of this read: pipelined answers in order. */
  size_t n = (size_t)c->pending;
  c->pending = 0;
  uv_write_t *w = malloc(sizeof(*w) + n * sizeof(uv_buf_t));
  if (!w) {
    uv_close((uv_handle_t *)s, on_close);
    return;
  }
  uv_buf_t *bufs = (uv_buf_t *)(w + 1);
  for (size_t i = 0; i < n; i++)
    bufs[i] = uv_buf_init((char *)response, sizeof(response) - 1);
  if (uv_write(w, s, bufs, (unsigned)n, on_write))
    free(w);
}

static void on_connection(uv_stream_t *server, int status) {
  if (status < 0)
    return;
  client_t *c = calloc(1, sizeof(*c));
  if (!c)
    return;
  uv_tcp_init(server->loop, &c->tcp);
  if (uv_accept(server, (uv_stream_t *)&c->tcp)) {
    uv_close((uv_handle_t *)&c->tcp, on_close);
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  llhttp_init(&c->parser, HTTP_REQUEST, &settings);
  c->parser.data = c;
  uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static void *serve(void *arg) {
  (void)arg;
  uv_loop_t loop;
  uv_loop_init(&loop);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (bind(fd, (struct sockaddr *)&addr, sizeof(addr))) {
    perror("hello_server: bind");
    exit(1);
  }
  uv_tcp_t server;
  uv_tcp_init(&loop, &server);
  uv_tcp_open(&server, fd);
  if (uv_listen((uv_stream_t *)&server, 1024, on_connection)) {
    fprintf(stderr, "hello_server: listen failed\n");
    exit(1);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: hello_server PORT [THREADS]\n");
    return 2;
  }
  port = atoi(argv[1]);
  int threads = argc > 2 ? atoi(argv[2]) : (int)uv_available_parallelism();
  signal(SIGPIPE, SIG_IGN);
  llhttp_settings_init(&settings);
  settings.on_message_complete = on_message_complete;
  for (int i = 0; i < threads; i++) {
    pthread_t t;
    pthread_create(&t, NULL, serve, NULL);
    pthread_detach(t);
  }
  /* The process ends on SIGINT/SIGTERM by default action; the threads never return. */
  pause();
  return 0;
}
