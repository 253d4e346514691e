/* Schema migrations for the CLI (`roundtable migrate`). Blocking libpq is fine here: this
 * never runs on an event loop. The migrations are compiled in (migrations_data.c), so a
 * binary carries exactly the schema it was built for. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "db_internal.h"
#include "migrations.h"
#include "roundtable/log.h"

/* Serialises concurrent `roundtable migrate` runs against one database ("Roundtab"). */
#define MIGRATE_LOCK_KEY "5940095550517174626"
#define MIGRATE_LOCK_TIMEOUT "'120s'"

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || errlen == 0)
    return;
  char tmp[1024];
  va_list ap;
  va_start(ap, fmt);
  (void)vsnprintf(tmp, sizeof(tmp), fmt, ap);
  va_end(ap);
  rt__db_one_line(err, errlen, tmp);
}

static void on_notice(void *arg, const char *message) {
  (void)arg;
  if (RT_LOG_DEBUG <= rt_log_threshold) {
    char line[512];
    rt__db_one_line(line, sizeof(line), message);
    rt_log_debug("migrate: server notice: %s", line);
  }
}

/* The most useful one-line description of a failed result (or of the connection). */
static const char *result_error(PGconn *pg, const PGresult *r, char *buf, size_t len) {
  const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
  if (primary) {
    const char *detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    char tmp[1024];
    (void)snprintf(tmp, sizeof(tmp), "%s%s%s%s%s%s%s", primary, detail ? " (" : "",
                   detail ? detail : "", detail ? ")" : "", state ? " [SQLSTATE " : "",
                   state ? state : "", state ? "]" : "");
    rt__db_one_line(buf, len, tmp);
  } else {
    rt__db_one_line(buf, len, r ? PQresultErrorMessage(r) : PQerrorMessage(pg));
  }
  if (!*buf)
    (void)snprintf(buf, len, "unknown error");
  return buf;
}

/* Runs sql (no parameters, or one text parameter); 0 when it succeeded. On failure the
 * result's error goes to msg. */
static int run(PGconn *pg, const char *sql, const char *param, char *msg, size_t msglen) {
  PGresult *r = param ? PQexecParams(pg, sql, 1, NULL, &param, NULL, NULL, 0) : PQexec(pg, sql);
  ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
  if (!ok)
    result_error(pg, r, msg, msglen);
  PQclear(r);
  return ok ? 0 : -1;
}

/* Connects for a command-line tool; *out NULL and err set on failure. */
static int cli_connect(const char *conninfo, const char *appname, PGconn **out, char *err,
                       size_t errlen) {
  char msg[1024];
  *out = NULL;
  const char *const kw[] = {"dbname", "fallback_application_name", NULL};
  const char *const val[] = {conninfo, appname, NULL};
  PGconn *pg = PQconnectdbParams(kw, val, 1);
  if (!pg) {
    set_err(err, errlen, "cannot connect to the database: out of memory");
    return RT_ENOMEM;
  }
  if (PQstatus(pg) != CONNECTION_OK) {
    set_err(err, errlen, "cannot connect to the database: %s",
            result_error(pg, NULL, msg, sizeof(msg)));
    PQfinish(pg);
    return RT_EDB_UNAVAILABLE;
  }
  PQsetNoticeProcessor(pg, on_notice, NULL);
  *out = pg;
  return 0;
}

/* Takes the session advisory lock that serialises schema changes: another migrate (or
 * script) may be running; wait for it, bounded. */
static int cli_lock(PGconn *pg, char *err, size_t errlen) {
  char msg[1024];
  if (run(pg, "SET lock_timeout = " MIGRATE_LOCK_TIMEOUT, NULL, msg, sizeof(msg)) ||
      run(pg, "SELECT pg_advisory_lock($1::bigint)", MIGRATE_LOCK_KEY, msg, sizeof(msg)) ||
      run(pg, "RESET lock_timeout", NULL, msg, sizeof(msg))) {
    set_err(err, errlen, "cannot take the migration lock: %s", msg);
    return RT_EDB_QUERY;
  }
  return 0;
}

static void cli_unlock(PGconn *pg) {
  /* Closing the session would release the lock too; say it explicitly. */
  if (PQstatus(pg) == CONNECTION_OK) {
    char ignored[256];
    (void)run(pg, "SELECT pg_advisory_unlock($1::bigint)", MIGRATE_LOCK_KEY, ignored,
              sizeof(ignored));
  }
}

static int is_known(const char *name) {
  for (int i = 0; i < rt__migrations_count; i++)
    if (strcmp(rt__migrations[i].name, name) == 0)
      return 1;
  return 0;
}

int rt_db_migrate(const char *conninfo, char *err, size_t errlen) {
  char msg[1024];
  int rc = 0;
  PGresult *applied = NULL;
  if (err && errlen)
    err[0] = '\0';
  if (!conninfo) {
    set_err(err, errlen, "no database given");
    return RT_EINVAL;
  }
  for (int i = 1; i < rt__migrations_count; i++) {
    if (strcmp(rt__migrations[i - 1].name, rt__migrations[i].name) >= 0) {
      set_err(err, errlen, "embedded migrations out of order at %s", rt__migrations[i].name);
      return RT_EINVAL;
    }
  }

  PGconn *pg;
  rc = cli_connect(conninfo, "roundtable-migrate", &pg, err, errlen);
  if (rc)
    return rc;
  /* Under the lock, what another run applied meanwhile is seen below. */
  rc = cli_lock(pg, err, errlen);
  if (rc)
    goto done;
  if (run(pg,
          "CREATE TABLE IF NOT EXISTS schema_migrations ("
          "name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
          NULL, msg, sizeof(msg))) {
    set_err(err, errlen, "cannot create schema_migrations: %s", msg);
    rc = RT_EDB_QUERY;
    goto unlock;
  }
  applied = PQexec(pg, "SELECT name FROM schema_migrations ORDER BY name");
  if (!applied || PQresultStatus(applied) != PGRES_TUPLES_OK) {
    set_err(err, errlen, "cannot read schema_migrations: %s",
            result_error(pg, applied, msg, sizeof(msg)));
    rc = RT_EDB_QUERY;
    goto unlock;
  }
  int napplied = PQntuples(applied);
  for (int i = 0; i < napplied; i++) {
    const char *name = PQgetvalue(applied, i, 0);
    if (!is_known(name)) {
      set_err(err, errlen,
              "the database has migration %s, which this binary does not know: its schema is "
              "newer than this roundtable",
              name);
      rc = RT_ECONFIG;
      goto unlock;
    }
  }

  int count = 0;
  for (int i = 0; i < rt__migrations_count; i++) {
    const rt__migration_t *m = &rt__migrations[i];
    int done = 0;
    for (int j = 0; j < napplied && !done; j++)
      done = strcmp(PQgetvalue(applied, j, 0), m->name) == 0;
    if (done)
      continue;
    /* Each file in its own transaction: a failure leaves the earlier files applied and
     * none of this one. */
    if (run(pg, "BEGIN", NULL, msg, sizeof(msg)) || run(pg, m->sql, NULL, msg, sizeof(msg)) ||
        run(pg, "INSERT INTO schema_migrations (name) VALUES ($1)", m->name, msg, sizeof(msg)) ||
        run(pg, "COMMIT", NULL, msg, sizeof(msg))) {
      char ignored[256];
      (void)run(pg, "ROLLBACK", NULL, ignored, sizeof(ignored));
      set_err(err, errlen, "%s: %s", m->name, msg);
      rc = RT_EDB_QUERY;
      goto unlock;
    }
    rt_log_info("applied %s", m->name);
    count++;
  }
  if (count == 0)
    rt_log_info("database schema is current (%d migration(s))", rt__migrations_count);

unlock:
  cli_unlock(pg);
done:
  PQclear(applied);
  PQfinish(pg);
  return rc;
}

int rt_db_run_script(const char *conninfo, const char *guard_sql, const char *script, int *skipped,
                     char *err, size_t errlen) {
  char msg[1024];
  if (skipped)
    *skipped = 0;
  if (err && errlen)
    err[0] = '\0';
  if (!conninfo || !script) {
    set_err(err, errlen, "no database or no script given");
    return RT_EINVAL;
  }
  PGconn *pg;
  int rc = cli_connect(conninfo, "roundtable", &pg, err, errlen);
  if (rc)
    return rc;
  /* The same lock as migrate: a script never runs against a schema half-migrated, and two
   * runs of one script cannot both pass the guard. */
  rc = cli_lock(pg, err, errlen);
  if (rc)
    goto done;
  if (run(pg, "BEGIN", NULL, msg, sizeof(msg))) {
    set_err(err, errlen, "%s", msg);
    rc = RT_EDB_QUERY;
    goto unlock;
  }
  if (guard_sql) {
    PGresult *g = PQexec(pg, guard_sql);
    int ok = g && PQresultStatus(g) == PGRES_TUPLES_OK;
    int rows = ok ? PQntuples(g) : 0;
    if (!ok)
      set_err(err, errlen, "%s", result_error(pg, g, msg, sizeof(msg)));
    PQclear(g);
    if (!ok || rows > 0) {
      char ignored[256];
      (void)run(pg, "ROLLBACK", NULL, ignored, sizeof(ignored));
      if (ok && skipped)
        *skipped = 1;
      rc = ok ? 0 : RT_EDB_QUERY;
      goto unlock;
    }
  }
  if (run(pg, script, NULL, msg, sizeof(msg)) || run(pg, "COMMIT", NULL, msg, sizeof(msg))) {
    char ignored[256];
    (void)run(pg, "ROLLBACK", NULL, ignored, sizeof(ignored));
    set_err(err, errlen, "%s", msg);
    rc = RT_EDB_QUERY;
  }
unlock:
  cli_unlock(pg);
done:
  PQfinish(pg);
  return rc;
}
