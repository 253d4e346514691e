/* What every resource file shares: responding with rows that the database rendered as
 * JSON, lists with cursors, and mapping constraint violations to field errors. */
#ifndef ROUNDTABLE_API_RESOURCE_H
#define ROUNDTABLE_API_RESOURCE_H

#include "api_internal.h"
#include "input.h"

/* Responds with the first column of the only row as a JSON body (status 200 or 201),
 * or 404 when there is no row. */
void rt__respond_row(rt_api_call_t *call, int status, const rt_db_result_t *res);

/* Responds {"items":[...], "next_cursor"} from the first column (JSON text) of the first
 * shown rows; cursor (borrowed) may be NULL for the last page. */
void rt__respond_items(rt_api_call_t *call, const rt_db_result_t *res, int shown,
                       const char *cursor);

/* Responds {"items":[...], "next_cursor"} from rows of (json text, id); the query asked
 * for page->limit + 1 rows so that a further page can be told. */
void rt__respond_list(rt_api_call_t *call, const rt_db_result_t *res, const rt_page_t *page);

/* The id path parameter {id}; answers 404 and returns 0 when it is not an id. */
int64_t rt__path_id(rt_api_call_t *call, int index);

/* Answers a failed write: a constraint the C validation did not foresee becomes 422
 * naming the constraint's field when known, a foreign key 422, others as db_failed. */
void rt__respond_write_failed(rt_api_call_t *call, int status, const rt_db_result_t *res);

/* Runs sql (params borrowed) and answers with the first column of its only row as JSON
 * with http_status (200 or 201); 404 without a row; a refused write as 422 through
 * rt__respond_write_failed. */
void rt__exec_row(rt_api_call_t *call, int http_status, const char *sql, int nparams,
                  const char *const *params);

/* Runs a list query whose rows are (json text, id), asked with LIMIT page->limit + 1, and
 * answers the page (rt__respond_list). page is copied. */
void rt__exec_list(rt_api_call_t *call, const rt_page_t *page, const char *sql, int nparams,
                   const char *const *params);

/* Runs the write sql (params borrowed) as rt__api_write does (audited, retried on a
 * conflict); it returns a row when it changed something: 204, else 404 with the detail
 * missing (static). */
void rt__exec_no_content(rt_api_call_t *call, const char *sql, int nparams,
                         const char *const *params, const char *missing);

/* The optional id filter key of q into *out (NULL when absent); answers 400 and returns -1
 * when it is not an id. */
int rt__input_id_filter(rt_api_call_t *call, const rt_query_t *q, const char *key,
                        const char **out);

/* The same for a list that belongs to a resource (the runs of a roundtable): the query selects
 * the parent LEFT JOIN its page, so that no row means no parent (404) and one row of NULLs an
 * empty list. */
void rt__exec_sublist(rt_api_call_t *call, const rt_page_t *page, const char *sql, int nparams,
                      const char *const *params);

/* GET of credentials (tokens, accounts): limit, cursor and participant_id; sql selects (json,
 * id) with $1 the last id shown, $2 the caller's role (only an admin sees admin credentials),
 * $3 the participant or NULL, $4 the page size + 1. */
void rt__exec_credentials_list(rt_api_call_t *call, const char *sql);

/* Formats an int64 into the request arena, for query parameters. */
const char *rt__id_text(rt_api_call_t *call, int64_t id);

#endif
