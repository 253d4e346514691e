/* libFuzzer entry point: request bodies through one of the API's JSON decoders (decoders.h),
 * the way a handler reads them: rt__json_decode first (as rt__input_body does), then the
 * resource's decoder, for a create and for a change, and for postings as each kind of caller.
 * Built once per decoder (fuzz/CMakeLists.txt defines RT_FUZZ_DECODER, e.g. "needs"); the
 * reference data comes from the fixed table below through rt__reference_adopt_rows, the path
 * the database's rows take. Checked: no crash or sanitizer report, a refusal always names at
 * least one field error, and every error renders as JSON. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "decoders.h"
#include "http_internal.h"
#include "reference.h"

#ifndef RT_FUZZ_DECODER
#error "define RT_FUZZ_DECODER as the decoder's name"
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A few rows of each kind, from sql/002_reference_data.sql. */
static const rt_ref_row_t reference_rows[] = {
    {RT_REF_THEME, "strategy", NULL, "Policy, strategy and governance", "政策、战略与治理"},
    {RT_REF_THEME, "incident", NULL, "Incident management", "事件管理"},
    {RT_REF_THEME, "strategy.national_strategy", "strategy", "National cybersecurity strategy",
     "国家网络安全战略"},
    {RT_REF_THEME, "incident.csirt_establishment", "incident", "CSIRT establishment", "CSIRT 建设"},
    {RT_REF_THEME, "incident.incident_response", "incident", "Incident response", "事件响应"},
    {RT_REF_LANGUAGE, "ar", NULL, "Arabic", "阿拉伯语"},
    {RT_REF_LANGUAGE, "en", NULL, "English", "英语"},
    {RT_REF_LANGUAGE, "fr", NULL, "French", "法语"},
    {RT_REF_LANGUAGE, "zh", NULL, "Chinese", "中文"},
    {RT_REF_REGION, "africa", NULL, "African Group", "非洲国家组"},
    {RT_REF_REGION, "asia_pacific", NULL, "Asia-Pacific Group", "亚太国家组"},
    {RT_REF_COUNTRY, "DZA", "africa", "Algeria", "阿尔及利亚"},
    {RT_REF_COUNTRY, "GHA", "africa", "Ghana", "加纳"},
    {RT_REF_COUNTRY, "BGD", "asia_pacific", "Bangladesh", "孟加拉国"},
};

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  if (rt__reference_adopt_rows(reference_rows, sizeof(reference_rows) / sizeof(reference_rows[0])))
    abort(); /* the fixed table itself is wrong: nothing to fuzz */
  return 0;
}

/* A refusal must carry errors, each {"field": string, "message": string}, and render. */
static void check(int rc, rt_field_errors_t *errs) {
  if ((rc != 0) != rt__field_errors_any(errs))
    __builtin_trap();
  if (!errs->list)
    return;
  size_t n = json_array_size(errs->list);
  if (n == 0)
    __builtin_trap(); /* every error was lost on the way (e.g. invalid UTF-8 in a message) */
  for (size_t i = 0; i < n; i++) {
    json_t *e = json_array_get(errs->list, i);
    if (!json_is_string(json_object_get(e, "field")) ||
        !json_is_string(json_object_get(e, "message")))
      __builtin_trap();
  }
  char *text = json_dumps(errs->list, JSON_COMPACT);
  if (!text)
    __builtin_trap();
  free(text);
  json_decref(errs->list);
  errs->list = NULL;
}

static void run(rt_api_call_t *call, json_t *body) {
  const char *which = RT_FUZZ_DECODER;
  rt_field_errors_t errs = {0};
  if (strcmp(which, "roundtables") == 0) {
    for (int creating = 0; creating <= 1; creating++)
      check(rt__roundtable_decode_check(&call->req->arena, body, creating, &errs), &errs);
  } else if (strcmp(which, "participants") == 0) {
    for (int creating = 0; creating <= 1; creating++)
      check(rt__participant_decode_check(call, body, creating, &errs), &errs);
  } else if (strcmp(which, "needs") == 0 || strcmp(which, "offers") == 0) {
    const rt_posting_kind_t *kind = which[0] == 'n' ? &rt__need_kind : &rt__offer_kind;
    /* the owner's role (its participant implied), the other party, and staff */
    static const rt_principal_t callers[] = {
        {.token_id = 1, .role = RT_ROLE_STATE, .participant_id = 7},
        {.token_id = 2, .role = RT_ROLE_PROVIDER, .participant_id = 8},
        {.token_id = 3, .role = RT_ROLE_ORGANIZER},
    };
    for (size_t i = 0; i < sizeof(callers) / sizeof(callers[0]); i++) {
      call->who = callers[i];
      for (int creating = 0; creating <= 1; creating++)
        check(rt__posting_decode_check(call, kind, body, creating, &errs), &errs);
    }
  } else if (strcmp(which, "tokens") == 0) {
    rt_token_input_t in;
    check(rt__token_decode(body, &errs, &in), &errs);
  } else if (strcmp(which, "accounts") == 0) {
    rt_account_input_t in;
    int rc = rt__account_decode(body, &errs, &in);
    if (rc == 0 && (!in.password || strlen(in.password) > in.password_len))
      __builtin_trap();
    check(rc, &errs);
  } else if (strcmp(which, "signin") == 0) {
    rt_signin_input_t in;
    int rc = rt__signin_decode(body, &errs, &in);
    if (rc == 0 && (!in.email || !in.password))
      __builtin_trap();
    check(rc, &errs);
  } else if (strcmp(which, "decision") == 0) {
    rt_decision_input_t in;
    check(rt__decision_decode(body, &errs, &in), &errs);
  } else if (strcmp(which, "follow_up") == 0) {
    rt_follow_up_input_t in;
    int rc = rt__follow_up_decode(body, &errs, &in);
    /* accepted: a reason given for an outcome other than delivered is not blank */
    if (rc == 0 && in.outcome && strcmp(in.outcome, "delivered") != 0 && in.reason &&
        in.reason[strspn(in.reason, " \t\r\n")] == '\0')
      __builtin_trap();
    check(rc, &errs);
  } else if (strcmp(which, "match_run") == 0) {
    rt_match_run_input_t in;
    int rc = rt__match_run_decode(body, &errs, &in);
    if (rc == 0 && !(in.min_score >= 0 && in.min_score <= 1))
      __builtin_trap();
    check(rc, &errs);
  } else {
    fprintf(stderr, "fuzz_decoders: no decoder named %s\n", which);
    abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  json_t *body = NULL;
  char detail[256];
  if (rt__json_decode((const char *)data, size, &body, detail, sizeof(detail)) != RT_JSON_OK)
    return 0; /* answered 400 before any decoder runs (fuzz_json covers that path) */
  rt__http_req_t *r = rt__http_req_new();
  if (!r) {
    json_decref(body);
    return 0;
  }
  rt_api_call_t call;
  memset(&call, 0, sizeof(call));
  call.req = &r->pub;
  run(&call, body);
  json_decref(body);
  rt__http_req_free(r);
  return 0;
}
