#ifndef ROUNDTABLE_API_NEEDS_H
#define ROUNDTABLE_API_NEEDS_H

#include "api_internal.h"

void rt__needs_create(rt_api_call_t *call);
void rt__needs_list(rt_api_call_t *call);
void rt__needs_get(rt_api_call_t *call);
void rt__needs_patch(rt_api_call_t *call);
void rt__needs_withdraw(rt_api_call_t *call);

#endif
