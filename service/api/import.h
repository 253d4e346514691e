#ifndef ROUNDTABLE_API_IMPORT_H
#define ROUNDTABLE_API_IMPORT_H

#include "api_internal.h"

void rt__roundtables_import(rt_api_call_t *call);

#endif
