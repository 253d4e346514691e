/* The result view handed to query callbacks: a thin, bounds-checked layer over PGresult
 * so that only db/ sees libpq. */
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"

static int has_rows(const rt_db_result_t *res) { return res && res->pg; }

int rt_db_result_rows(const rt_db_result_t *res) { return has_rows(res) ? PQntuples(res->pg) : 0; }

int rt_db_result_cols(const rt_db_result_t *res) { return has_rows(res) ? PQnfields(res->pg) : 0; }

static int in_bounds(const rt_db_result_t *res, int row, int col) {
  return has_rows(res) && row >= 0 && col >= 0 && row < PQntuples(res->pg) &&
         col < PQnfields(res->pg);
}

const char *rt_db_result_value(const rt_db_result_t *res, int row, int col) {
  if (!in_bounds(res, row, col) || PQgetisnull(res->pg, row, col))
    return NULL;
  return PQgetvalue(res->pg, row, col);
}

size_t rt_db_result_length(const rt_db_result_t *res, int row, int col) {
  if (!in_bounds(res, row, col))
    return 0;
  int n = PQgetlength(res->pg, row, col);
  return n > 0 ? (size_t)n : 0;
}

int rt_db_result_column(const rt_db_result_t *res, const char *name) {
  if (!has_rows(res) || !name)
    return -1;
  /* PQfnumber folds unquoted names to lower case; callers pass names as the query
   * spells them in its AS clauses, so compare exactly. */
  int n = PQnfields(res->pg);
  for (int i = 0; i < n; i++) {
    const char *f = PQfname(res->pg, i);
    if (f && strcmp(f, name) == 0)
      return i;
  }
  return -1;
}

long rt_db_result_affected(const rt_db_result_t *res) {
  if (!has_rows(res))
    return 0;
  /* PQcmdTuples wants a non-const PGresult but does not modify it. */
  const char *s = PQcmdTuples((PGresult *)res->pg);
  if (!s || !*s)
    return 0;
  char *end = NULL;
  long v = strtol(s, &end, 10);
  return end && *end == '\0' && v >= 0 ? v : 0;
}

const char *rt_db_result_sqlstate(const rt_db_result_t *res) {
  if (!res)
    return "";
  if (res->sqlstate)
    return res->sqlstate;
  if (res->pg) {
    const char *s = PQresultErrorField(res->pg, PG_DIAG_SQLSTATE);
    if (s)
      return s;
  }
  return "";
}

const char *rt_db_result_message(const rt_db_result_t *res) {
  if (!res)
    return "";
  if (res->message)
    return res->message;
  if (res->pg) {
    const char *s = PQresultErrorField(res->pg, PG_DIAG_MESSAGE_PRIMARY);
    if (s)
      return s;
  }
  return "";
}

const char *rt_db_result_constraint(const rt_db_result_t *res) {
  const char *s = res && res->pg ? PQresultErrorField(res->pg, PG_DIAG_CONSTRAINT_NAME) : NULL;
  return s ? s : "";
}
