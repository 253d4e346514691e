#include "roundtable/error.h"

#include <string.h>
#include <uv.h>

const char *rt_strerror(int code) {
  switch (code) {
  case RT_OK:
    return "success";
  case RT_EDB_UNAVAILABLE:
    return "database unavailable";
  case RT_EDB_QUERY:
    return "database query failed";
  case RT_EDB_CONFLICT:
    return "database serialization conflict";
  case RT_ECONFIG:
    return "invalid configuration";
  case RT_ESHUTDOWN:
    return "service shutting down";
  default:
    break;
  }
  if (code < 0 && code > -4096)
    return uv_strerror(code); /* libuv maps negated errno values */
  return "unknown error";
}
