/* Pure policy of the pool: the connection state table, reconnect backoff and the mapping
 * of SQLSTATEs to error codes. No I/O here, so unit tests can cover every entry. */
#include <string.h>

#include "policy.h"

#define BIT(s) (1u << (s))

/* Legal transitions, as data: row = from, bits = to. Everything else is a bug. */
static const unsigned transitions[RT__DB_STATE_COUNT] = {
    [RT__DB_DISCONNECTED] =
        BIT(RT__DB_RESOLVING) | BIT(RT__DB_CONNECTING) | BIT(RT__DB_BACKOFF) | BIT(RT__DB_CLOSING),
    [RT__DB_RESOLVING] = BIT(RT__DB_CONNECTING) | BIT(RT__DB_BACKOFF) | BIT(RT__DB_CLOSING),
    [RT__DB_CONNECTING] = BIT(RT__DB_IDLE) | BIT(RT__DB_BACKOFF) | BIT(RT__DB_CLOSING),
    [RT__DB_IDLE] = BIT(RT__DB_ACQUIRED) | BIT(RT__DB_BACKOFF) | BIT(RT__DB_CLOSING),
    [RT__DB_ACQUIRED] =
        BIT(RT__DB_BUSY) | BIT(RT__DB_IDLE) | BIT(RT__DB_RESETTING) | BIT(RT__DB_BROKEN),
    [RT__DB_BUSY] = BIT(RT__DB_ACQUIRED) | BIT(RT__DB_RESETTING) | BIT(RT__DB_BROKEN),
    [RT__DB_RESETTING] = BIT(RT__DB_IDLE) | BIT(RT__DB_BACKOFF) | BIT(RT__DB_CLOSING),
    [RT__DB_BROKEN] = BIT(RT__DB_BACKOFF) | BIT(RT__DB_CLOSING),
    [RT__DB_BACKOFF] = BIT(RT__DB_RESOLVING) | BIT(RT__DB_CONNECTING) | BIT(RT__DB_CLOSING),
    [RT__DB_CLOSING] = BIT(RT__DB_CLOSED),
    [RT__DB_CLOSED] = 0,
};

static const char *const state_names[RT__DB_STATE_COUNT] = {
    [RT__DB_DISCONNECTED] = "disconnected",
    [RT__DB_RESOLVING] = "resolving",
    [RT__DB_CONNECTING] = "connecting",
    [RT__DB_IDLE] = "idle",
    [RT__DB_ACQUIRED] = "acquired",
    [RT__DB_BUSY] = "busy",
    [RT__DB_RESETTING] = "resetting",
    [RT__DB_BROKEN] = "broken",
    [RT__DB_BACKOFF] = "backoff",
    [RT__DB_CLOSING] = "closing",
    [RT__DB_CLOSED] = "closed",
};

static const rt__db_gauge_t state_gauges[RT__DB_STATE_COUNT] = {
    [RT__DB_DISCONNECTED] = RT__DB_GAUGE_DOWN,     [RT__DB_RESOLVING] = RT__DB_GAUGE_CONNECTING,
    [RT__DB_CONNECTING] = RT__DB_GAUGE_CONNECTING, [RT__DB_IDLE] = RT__DB_GAUGE_IDLE,
    [RT__DB_ACQUIRED] = RT__DB_GAUGE_BUSY,         [RT__DB_BUSY] = RT__DB_GAUGE_BUSY,
    [RT__DB_RESETTING] = RT__DB_GAUGE_BUSY,        [RT__DB_BROKEN] = RT__DB_GAUGE_DOWN,
    [RT__DB_BACKOFF] = RT__DB_GAUGE_DOWN,          [RT__DB_CLOSING] = RT__DB_GAUGE_NONE,
    [RT__DB_CLOSED] = RT__DB_GAUGE_NONE,
};

const char *rt__db_state_name(rt__db_state_t s) {
  if ((unsigned)s >= RT__DB_STATE_COUNT)
    return "invalid";
  return state_names[s];
}

int rt__db_transition_ok(rt__db_state_t from, rt__db_state_t to) {
  if ((unsigned)from >= RT__DB_STATE_COUNT || (unsigned)to >= RT__DB_STATE_COUNT)
    return 0;
  return (transitions[from] & BIT(to)) != 0;
}

rt__db_gauge_t rt__db_state_gauge(rt__db_state_t s) {
  if ((unsigned)s >= RT__DB_STATE_COUNT)
    return RT__DB_GAUGE_NONE;
  return state_gauges[s];
}

uint64_t rt__db_backoff_ms(uint64_t min_ms, uint64_t max_ms, unsigned failures, double rnd) {
  if (min_ms == 0)
    min_ms = 1;
  if (max_ms < min_ms)
    max_ms = min_ms;
  uint64_t base = min_ms;
  for (unsigned i = 0; i < failures && base < max_ms; i++)
    base = base > max_ms / 2 ? max_ms : base * 2;
  if (base > max_ms)
    base = max_ms;
  if (!(rnd >= 0.0)) /* also catches NaN */
    rnd = 0.0;
  if (rnd > 1.0)
    rnd = 1.0;
  /* Jitter spreads the reconnects of a pool's connections (and of several processes)
   * so a restarted server is not hit by all of them in the same millisecond. */
  double d = (double)base * (0.8 + 0.4 * rnd);
  uint64_t delay = d >= (double)max_ms ? max_ms : (uint64_t)d;
  if (delay < min_ms)
    delay = min_ms;
  return delay;
}

int rt__db_error_from_sqlstate(const char *sqlstate, int conn_bad) {
  if (conn_bad)
    return RT_EDB_UNAVAILABLE;
  if (!sqlstate || strlen(sqlstate) != 5)
    return RT_EDB_QUERY;
  if (strcmp(sqlstate, "40001") == 0 || strcmp(sqlstate, "40P01") == 0)
    return RT_EDB_CONFLICT;
  if (strcmp(sqlstate, "57014") == 0)
    return RT_ETIMEDOUT;
  /* Class 08: connection exception. 57P01..57P03: the server is shutting down, crashed or
   * not yet accepting; 57P05: idle session timeout; 53300: too many connections. */
  if (strncmp(sqlstate, "08", 2) == 0 || strcmp(sqlstate, "57P01") == 0 ||
      strcmp(sqlstate, "57P02") == 0 || strcmp(sqlstate, "57P03") == 0 ||
      strcmp(sqlstate, "57P05") == 0 || strcmp(sqlstate, "53300") == 0)
    return RT_EDB_UNAVAILABLE;
  return RT_EDB_QUERY;
}

void rt__db_one_line(char *dst, size_t dstlen, const char *src) {
  size_t o = 0;
  int space = 0;
  if (dstlen == 0)
    return;
  for (; src && *src && o + 1 < dstlen; src++) {
    char c = *src;
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = o > 0;
      continue;
    }
    if (space) {
      if (o + 2 >= dstlen)
        break;
      dst[o++] = ' ';
      space = 0;
    }
    dst[o++] = c;
  }
  while (o > 0 && dst[o - 1] == ' ')
    o--;
  dst[o] = '\0';
}
