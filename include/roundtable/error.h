/* Error codes shared by every module: 0 on success, a negative code on failure. */
#ifndef ROUNDTABLE_ERROR_H
#define ROUNDTABLE_ERROR_H

#include <errno.h>

#define RT_WUR __attribute__((warn_unused_result))

/* Where a POSIX errno says it, we use it (negated); the rest lie below -4096,
 * out of the way of errno values and libuv's UV_E* codes. */
enum rt_error {
  RT_OK = 0,
  RT_ENOMEM = -ENOMEM,
  RT_EINVAL = -EINVAL,
  RT_ENOENT = -ENOENT,
  RT_EBUSY = -EBUSY,         /* a bounded queue is full */
  RT_ETIMEDOUT = -ETIMEDOUT, /* a deadline passed */
  RT_ECANCELED = -ECANCELED, /* work abandoned (shutdown, client gone) */
  RT_E2BIG = -E2BIG,         /* a limit was exceeded */
  RT_EIO = -EIO,
  RT_EDB_UNAVAILABLE = -4097, /* no connection to the database right now */
  RT_EDB_QUERY = -4098,       /* the database rejected a statement */
  RT_EDB_CONFLICT = -4099,    /* serialization failure or deadlock: retry */
  RT_ECONFIG = -4100,         /* bad configuration */
  RT_ESHUTDOWN = -4101,       /* the service is stopping */
};

/* A static, human-readable description of a code from rt_error, errno or libuv. */
const char *rt_strerror(int code);

#endif
