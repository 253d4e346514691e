/* GET /roundtables/{id}/summary (summary.c). */
#ifndef ROUNDTABLE_API_SUMMARY_H
#define ROUNDTABLE_API_SUMMARY_H

#include "api_internal.h"

void rt__roundtables_summary(rt_api_call_t *call);

#endif
