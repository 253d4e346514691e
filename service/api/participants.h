#ifndef ROUNDTABLE_API_PARTICIPANTS_H
#define ROUNDTABLE_API_PARTICIPANTS_H

#include "api_internal.h"

/* A participant row (alias p) as the API shows it: JSON text. */
#define PARTICIPANT_JSON_OBJECT                                                                    \
  "json_build_object('id', p.id::text, 'name', p.name, 'kind', p.kind, 'country', p.country,"      \
  " 'region', p.region, 'languages', to_json(p.languages), 'contact',"                             \
  " json_build_object('name', p.contact_name, 'email', p.contact_email),"                          \
  " 'created_at', rt_ts(p.created_at), 'updated_at', rt_ts(p.updated_at))"
#define PARTICIPANT_JSON PARTICIPANT_JSON_OBJECT "::text"

void rt__participants_create(rt_api_call_t *call);
void rt__participants_list(rt_api_call_t *call);
void rt__participants_get(rt_api_call_t *call);
void rt__participants_patch(rt_api_call_t *call);

#endif
