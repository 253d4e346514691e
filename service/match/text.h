/* Text features: folding tokenizer and MinHash signatures (private to the engine). */
#ifndef RT_MATCH_TEXT_H
#define RT_MATCH_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Slots of a signature. Each slot holds 8 bits of a one-permutation MinHash, so a pair's text
 * similarity is the share of equal slots: an estimate of the Jaccard similarity of the two
 * token sets, compared 32 pairs per AVX2 instruction. */
#define RT__MH_K 32
/* Real slot values lie in 0..253; these two never equal anything on the other side, so a posting
 * without any token is 0 similar to everything. */
#define RT__MH_EMPTY_NEED 0xFF
#define RT__MH_EMPTY_OFFER 0xFE

/* Longest token kept for callbacks; longer tokens are still hashed whole. */
#define RT__TOKEN_MAX 64

typedef struct rt__text_ctx_s {
  uint64_t stop[160]; /* sorted hashes of the stop words */
  size_t n_stop;
} rt__text_ctx_t;

/* Called once per token with its folded UTF-8 bytes (truncated to RT__TOKEN_MAX) and hash. */
typedef void (*rt__token_fn)(void *ud, const char *tok, size_t len, uint64_t hash);

void rt__text_init(rt__text_ctx_t *tc);
/* Tokenizes s (len bytes, any UTF-8; invalid bytes separate tokens). Returns the token count. */
size_t rt__text_tokens(const rt__text_ctx_t *tc, const char *s, size_t len, rt__token_fn fn,
                       void *ud);
/* The signature of the tokens of the given texts (NULL entries are skipped). */
void rt__text_signature(const rt__text_ctx_t *tc, const char *const *texts, size_t n, bool is_offer,
                        uint8_t sig[RT__MH_K]);
/* Equal slots of two signatures, 0..RT__MH_K. */
unsigned rt__text_common(const uint8_t *a, const uint8_t *b);

#endif
