#ifndef ROUNDTABLE_API_PARTICIPANTS_H
#define ROUNDTABLE_API_PARTICIPANTS_H

#include "api_internal.h"

void rt__participants_create(rt_api_call_t *call);
void rt__participants_list(rt_api_call_t *call);
void rt__participants_get(rt_api_call_t *call);
void rt__participants_patch(rt_api_call_t *call);

#endif
