# Roundtable: a multi-stage image on Debian 12.
#   docker build -t roundtable .        (or: docker compose up --build, see docker-compose.yml)
#   docker run --rm -p 8080:8080 -e ROUNDTABLE_DB='host=... dbname=... user=...' roundtable

# --- build: compilers and -dev packages, never shipped ---------------------------------------
FROM debian:12-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config \
      libuv1-dev libjansson-dev libpq-dev libsodium-dev node-llhttp \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# No tests (no cmocka, pytest or PostgreSQL server needed) and no benchmarks in the image.
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr/local \
      -DRT_TESTS=OFF -DRT_BENCH=OFF \
 && cmake --build /build --parallel "$(nproc)" \
 && cmake --install /build --strip

# --- runtime: the shared libraries the binary links, curl for the health check ---------------
FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libuv1 libjansson4 libpq5 libsodium23 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin roundtable
COPY --from=build /usr/local/bin/roundtable /usr/local/bin/roundtable
COPY --from=build /usr/local/share/roundtable /usr/local/share/roundtable
ENV ROUNDTABLE_WEB_ROOT=/usr/local/share/roundtable/web \
    ROUNDTABLE_LISTEN=0.0.0.0:8080
USER roundtable:roundtable
EXPOSE 8080
# Liveness only (/healthz needs no database); docker-compose.yml checks /readyz instead.
# The port follows ROUNDTABLE_LISTEN.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS -o /dev/null "http://127.0.0.1:${ROUNDTABLE_LISTEN##*:}/healthz" || exit 1
# SIGTERM: stop accepting, finish in-flight requests, close the database connections, exit 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["roundtable"]
CMD ["serve"]
