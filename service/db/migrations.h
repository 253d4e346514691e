/* The migrations compiled into the binary: generated migrations_data.c (cmake/Embed.cmake)
 * defines the table from sql/NNN_*.sql, sorted by name. */
#ifndef ROUNDTABLE_DB_MIGRATIONS_H
#define ROUNDTABLE_DB_MIGRATIONS_H

typedef struct rt__migration_s {
  const char *name; /* file name, e.g. "001_service_info.sql" */
  const char *sql;  /* its text, NUL-terminated; may hold several statements */
} rt__migration_t;

extern const rt__migration_t rt__migrations[];
extern const int rt__migrations_count;

#endif
