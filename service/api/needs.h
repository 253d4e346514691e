#ifndef ROUNDTABLE_API_NEEDS_H
#define ROUNDTABLE_API_NEEDS_H

#include "api_internal.h"

void rt__needs_create(rt_api_call_t *call);
void rt__needs_list(rt_api_call_t *call);
void rt__needs_get(rt_api_call_t *call);
void rt__needs_patch(rt_api_call_t *call);
void rt__needs_withdraw(rt_api_call_t *call);

/* Need visibility (sql/014_need_visibility.sql): the SQL condition that the caller may see the
 * need of row alias a, as rt_need_visible(...) with the caller's role and participant appended to
 * params (borrowed, at *n, which grows by two); "true" for staff, who see every need, with no
 * parameter added. It depends on the caller's role and participant only. NULL when out of
 * memory. */
const char *rt__need_visible_sql(rt_api_call_t *call, const char *a, const char **params, int *n);

#endif
