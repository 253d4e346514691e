/* Accounts for people: email and an argon2id password hash, a role and (for a state or a
 * provider) the participant they act for. And the password work both accounts and sessions
 * do on the libuv thread pool, never on the event loop. */
#ifndef ROUNDTABLE_API_ACCOUNTS_H
#define ROUNDTABLE_API_ACCOUNTS_H

#include <sodium.h>

#include "api_internal.h"
#include "input.h"

#define RT_PASSWORD_MIN_CHARS 12
#define RT_PASSWORD_MAX_BYTES 1024

/* An account row (alias a) as the API shows it: JSON text. */
#define ACCOUNT_JSON_OBJECT                                                                        \
  "json_build_object('id', a.id::text, 'email', a.email, 'role', a.role,"                          \
  " 'participant_id', a.participant_id::text, 'created_at', rt_ts(a.created_at),"                  \
  " 'disabled_at', rt_ts(a.disabled_at))"

/* Hashing a new password, or checking one against a stored hash, off the loop. */
typedef struct rt_password_job_s rt_password_job_t;
typedef void (*rt_password_done_fn)(rt_api_call_t *call, rt_password_job_t *job);
struct rt_password_job_s {
  rt_api_call_t *call;
  char *password; /* in the request arena; wiped once the work is done */
  size_t len;
  /* Checking: the stored hash (borrowed), or NULL to check against a dummy hash so that an
   * unknown email costs as much time as a known one. Hashing: NULL and hash set instead. */
  const char *stored;
  int verify;
  int ok; /* checking: the password matches; hashing: hash holds it */
  char hash[crypto_pwhash_STRBYTES];
  rt_password_done_fn done;
  void *data; /* the caller's own */
};

/* Queues job on the thread pool; job->done runs on the loop afterwards. On failure (too many
 * password jobs in flight, out of memory) answers 503 itself and returns -1. */
int rt__password_run(rt_password_job_t *job);

/* Makes the dummy hash on the thread pool ahead of the first sign-in, so that even the first
 * unknown email takes no longer than a known one. */
void rt__password_warm(uv_loop_t *loop);

/* Checks a new password's rules (length in characters and bytes, valid UTF-8); adds a field
 * error for field and returns -1, or 0. */
int rt__password_check(const char *password, size_t len, const char *field,
                       rt_field_errors_t *errs);

void rt__accounts_create(rt_api_call_t *call);
void rt__accounts_list(rt_api_call_t *call);
void rt__accounts_disable(rt_api_call_t *call);

#endif
