/* The meeting schedule (docs/schedule.md): a roundtable's slots and tables, participants'
 * unavailability, the scheduler run, and each participant's timetable as JSON or iCalendar. */
#ifndef ROUNDTABLE_API_SCHEDULE_H
#define ROUNDTABLE_API_SCHEDULE_H

#include "api_internal.h"

/* GET|PUT /roundtables/{id}/slots, GET|PUT /roundtables/{id}/tables (PUT: organizer, admin). */
void rt__schedule_slots_get(rt_api_call_t *call);
void rt__schedule_slots_put(rt_api_call_t *call);
void rt__schedule_tables_get(rt_api_call_t *call);
void rt__schedule_tables_put(rt_api_call_t *call);
/* GET|PUT /roundtables/{id}/unavailability: a state or provider sees and sets its own only. */
void rt__schedule_unavailability_get(rt_api_call_t *call);
void rt__schedule_unavailability_put(rt_api_call_t *call);
/* POST (organizer, admin) and GET /roundtables/{id}/schedule. */
void rt__schedule_create(rt_api_call_t *call);
void rt__schedule_get(rt_api_call_t *call);
/* GET /participants/{id}/schedule?format=json|ics&roundtable_id= (staff, or the participant). */
void rt__schedule_participant(rt_api_call_t *call);

#endif
