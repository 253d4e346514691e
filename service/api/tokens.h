#ifndef ROUNDTABLE_API_TOKENS_H
#define ROUNDTABLE_API_TOKENS_H

#include "api_internal.h"

void rt__tokens_create(rt_api_call_t *call);
void rt__tokens_list(rt_api_call_t *call);
void rt__tokens_revoke(rt_api_call_t *call);
void rt__tokens_me(rt_api_call_t *call);

#endif
