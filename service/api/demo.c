/* The demo data (sql/demo/), loaded once by `roundtable demo`, and the OpenAPI
 * document (docs/openapi.json) served at /api/openapi.json — both compiled in. */
#include <stdio.h>
#include <string.h>

#include "api_internal.h"
#include "embedded.h"

#define DEMO_FILE "first_global_roundtable.sql"
#define DEMO_TITLE "First Global Roundtable on ICT Security Capacity-Building"

const rt__embedded_t *rt__api_document(const char *name) {
  for (int i = 0; i < rt__api_documents_count; i++)
    if (strcmp(rt__api_documents[i].name, name) == 0)
      return &rt__api_documents[i];
  return NULL;
}

int rt_api_demo_load(const char *conninfo, int *loaded, char *err, size_t errlen) {
  const rt__embedded_t *demo = rt__api_document(DEMO_FILE);
  if (!demo) {
    snprintf(err, errlen, "the demo data is not in this build");
    return RT_ENOENT;
  }
  int skipped = 0;
  int rc = rt_db_run_script(conninfo, "SELECT 1 FROM roundtables WHERE title = '" DEMO_TITLE "'",
                            demo->text, &skipped, err, errlen);
  *loaded = !rc && !skipped;
  return rc;
}

void rt__openapi_document(rt_api_call_t *call) {
  const rt__embedded_t *doc = rt__api_document("openapi.json");
  rt_http_respond(call->req, 200, "application/json", doc->text, strlen(doc->text));
}
