#ifndef ROUNDTABLE_API_ROUNDTABLES_H
#define ROUNDTABLE_API_ROUNDTABLES_H

#include "api_internal.h"

void rt__roundtables_create(rt_api_call_t *call);
void rt__roundtables_list(rt_api_call_t *call);
void rt__roundtables_get(rt_api_call_t *call);
void rt__roundtables_patch(rt_api_call_t *call);

#endif
