/* Text features: folding (accents, case, Cyrillic, Arabic marks, full width), CJK bigrams,
 * stop words, malformed UTF-8, and the similarity the signatures give. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "text.h"

typedef struct toks_s {
  char buf[1024];
  size_t len;
} toks_t;

static void collect(void *ud, const char *tok, size_t len, uint64_t hash) {
  (void)hash;
  toks_t *t = ud;
  if (t->len && t->len < sizeof(t->buf) - 1)
    t->buf[t->len++] = '|';
  for (size_t i = 0; i < len && t->len < sizeof(t->buf) - 1; i++)
    t->buf[t->len++] = tok[i];
  t->buf[t->len] = '\0';
}

static const char *tokens(const char *s) {
  static toks_t t;
  static rt__text_ctx_t tc;
  rt__text_init(&tc);
  t.len = 0;
  t.buf[0] = '\0';
  rt__text_tokens(&tc, s, strlen(s), collect, &t);
  return t.buf;
}

static void test_folding(void **state) {
  (void)state;
  static const struct {
    const char *in, *out;
  } cases[] = {
      {"Sécurité NATIONALE, l'État", "securite|nationale|etat"},
      {"Ça coûte cher: œuvre, Straße", "ca|coute|cher|oeuvre|strasse"},
      {"Cooperación internacional — año 2024", "cooperacion|internacional|ano|2024"},
      {"Łódź Žilina Ærø", "lodz|zilina|aero"},
      {"Кибербезопасность КИБЕРБЕЗОПАСНОСТЬ", "кибербезопасность|кибербезопасность"},
      {"Ёлка ёлка", "елка|елка"},
      {"الأَمْنُ السيبراني", "الامن|السيبراني"},
      {"إدارة أمن", "اداره|امن"},
      {"e\xcc\x81te\xcc\x81", "ete"}, /* e + combining acute */
      {"\xef\xbc\xa3\xef\xbc\xb3\xef\xbc\xa9\xef\xbc\xb2\xef\xbc\xb4", "csirt"}, /* full width */
      {"the CSIRT of the nation and de la République и в", "csirt|nation|republique"},
      {"网络安全能力建设", "网络|络安|安全|全能|能力|力建|建设"},
      {"5G网络。安全", "5g|网络|安全"},
      {"网 a 安", "网|安"},
      {"セキュリティ", "セキ|キュ|ュリ|リテ|ティ"},
      {"", ""},
      {"a b c", ""},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    assert_string_equal(tokens(cases[i].in), cases[i].out);
}

static void test_malformed_utf8(void **state) {
  (void)state;
  assert_string_equal(tokens("\xff\xfe"
                             "abc\xc3"),
                      "abc");
  assert_string_equal(tokens("ab\xc0\xaf"
                             "cd"),
                      "ab|cd"); /* overlong '/' */
  assert_string_equal(tokens("ab\xed\xa0\x80"
                             "cd"),
                      "ab|cd"); /* a surrogate */
  assert_string_equal(tokens("ab\xf4\x90\x80\x80"
                             "cd"),
                      "ab|cd");                    /* past U+10FFFF */
  assert_string_equal(tokens("ab\xe6\x97"), "ab"); /* truncated */
  /* long words are hashed whole, kept to RT__TOKEN_MAX bytes */
  char longw[300];
  memset(longw, 'x', sizeof(longw) - 1);
  longw[sizeof(longw) - 1] = '\0';
  assert_int_equal(strlen(tokens(longw)), RT__TOKEN_MAX);
}

static unsigned common(const char *a, const char *b) {
  rt__text_ctx_t tc;
  rt__text_init(&tc);
  uint8_t sa[RT__MH_K], sb[RT__MH_K];
  rt__text_signature(&tc, &a, 1, false, sa);
  rt__text_signature(&tc, &b, 1, true, sb);
  return rt__text_common(sa, sb);
}

static void test_similarity(void **state) {
  (void)state;
  assert_int_equal(common("sécurité nationale", "SECURITE Nationale"), RT__MH_K);
  assert_int_equal(common("Кибербезопасность страны", "кибербезопасность СТРАНЫ"), RT__MH_K);
  assert_int_equal(common("网络安全能力建设", "网络安全能力建设"), RT__MH_K);
  /* the same Chinese words in another order share 6 of 8 bigrams */
  unsigned zh = common("网络安全能力建设", "能力建设网络安全");
  assert_true(zh >= 16 && zh < RT__MH_K);
  /* unrelated texts share (almost) nothing */
  assert_true(common("national cybersecurity strategy workshop", "forensic laboratory equipment") <=
              3);
  assert_true(common("网络安全能力建设", "数字取证实验室") <= 3);
  /* a posting without any word is similar to nothing, not even another empty one */
  assert_int_equal(common("", ""), 0);
  assert_int_equal(common("the of and", "de la"), 0);
  /* more shared words, more similar (on average: these are estimates) */
  unsigned half =
      common("csirt incident response training programme", "csirt incident response legal advice");
  unsigned most = common("csirt incident response training programme",
                         "csirt incident response training support");
  assert_true(most > half);
  assert_true(half > 4);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_folding),
      cmocka_unit_test(test_malformed_utf8),
      cmocka_unit_test(test_similarity),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
