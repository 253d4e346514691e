/* The commands of the executable, each taking its parsed configuration. */
#ifndef ROUNDTABLE_SERVE_H
#define ROUNDTABLE_SERVE_H

#include "config.h"

/* Runs the service until SIGTERM or SIGINT. Returns the process exit status. */
int rt_serve(rt_config_t *cfg);

#endif
