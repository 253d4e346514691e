#ifndef ROUNDTABLE_API_OFFERS_H
#define ROUNDTABLE_API_OFFERS_H

#include "api_internal.h"

void rt__offers_create(rt_api_call_t *call);
void rt__offers_list(rt_api_call_t *call);
void rt__offers_get(rt_api_call_t *call);
void rt__offers_patch(rt_api_call_t *call);
void rt__offers_withdraw(rt_api_call_t *call);
/* GET /offers/{id}/overlaps: open offers and agreed partnerships serving a shared theme in a
 * shared country (POST /offers answers them too). */
void rt__offers_overlaps(rt_api_call_t *call);

#endif
