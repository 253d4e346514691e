#ifndef ROUNDTABLE_API_PARTICIPANTS_H
#define ROUNDTABLE_API_PARTICIPANTS_H

#include "api_internal.h"

/* A participant row (alias p) as the API shows it, with email, an SQL expression for the
 * contact's email: JSON text. */
#define PARTICIPANT_JSON_WITH(email)                                                               \
  "json_build_object('id', p.id::text, 'name', p.name, 'kind', p.kind, 'country', p.country,"      \
  " 'region', p.region, 'languages', to_json(p.languages), 'contact',"                             \
  " json_build_object('name', p.contact_name, 'email', " email "),"                                \
  " 'created_at', rt_ts(p.created_at), 'updated_at', rt_ts(p.updated_at))"
/* For callers who may see the contact's email: staff and the participant itself. */
#define PARTICIPANT_JSON_OBJECT PARTICIPANT_JSON_WITH("p.contact_email")
#define PARTICIPANT_JSON PARTICIPANT_JSON_OBJECT "::text"
/* For any caller: the query parameter viewer (e.g. "$3") is "*" for staff, who see every
 * contact email, else the caller's participant id (or "0"): others see the email as null. */
#define PARTICIPANT_JSON_SEEN_BY(viewer)                                                           \
  PARTICIPANT_JSON_WITH("CASE WHEN " viewer " = '*' OR " viewer " = p.id::text"                    \
                        " THEN p.contact_email END")                                               \
  "::text"

/* The viewer parameter of PARTICIPANT_JSON_SEEN_BY for the caller (in the request arena). */
const char *rt__participant_viewer(rt_api_call_t *call);

void rt__participants_create(rt_api_call_t *call);
void rt__participants_list(rt_api_call_t *call);
void rt__participants_get(rt_api_call_t *call);
void rt__participants_patch(rt_api_call_t *call);

#endif
